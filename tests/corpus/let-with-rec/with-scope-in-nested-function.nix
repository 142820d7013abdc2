with { v = 1; }; let f = x: x + v; in f 1
