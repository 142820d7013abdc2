let s = { }; in [ s.a.b (s.c or 1) (s ? d.e) ]
