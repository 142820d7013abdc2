rec { a = 1; b = let a = 2; in a; }
