with 5; 1
