let t = builtins.fromTOML "a = inf\nb = -inf"; in [ t.a t.b (t.a + 1) (t.a > 1.0e308) (t.a == t.a) ]
