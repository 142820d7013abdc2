with 5; x
