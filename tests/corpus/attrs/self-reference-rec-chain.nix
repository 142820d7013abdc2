rec { a = b; b = c; c = 1; }
