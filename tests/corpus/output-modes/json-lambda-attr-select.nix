{ a = x: x; b = 2; }
