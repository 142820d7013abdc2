let a = { b = 1; }; f = x: x; in [ a.b f 2 (f 3) ]
