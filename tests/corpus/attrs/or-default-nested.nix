let s = { a = { b = null; }; }; in [ (s.a.b or 1) (s.a.c.d or 2) ]
