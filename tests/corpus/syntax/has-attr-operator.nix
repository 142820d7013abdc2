let s = { a.b.c = 1; }; in [ (s ? a) (s ? a.b.c) (s ? a.b.x) (s ? "a") (s ? ${"a"}) (1 ? a) ]
