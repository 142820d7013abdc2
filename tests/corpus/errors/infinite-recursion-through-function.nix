let f = x: f x; s = { a = s.a; }; in s.a
