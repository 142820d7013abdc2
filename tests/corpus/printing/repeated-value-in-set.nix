let v = { x = 1; }; in { a = v; b = v; }
