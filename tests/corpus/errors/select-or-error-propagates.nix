let s = { a = throw "inner"; }; in s.a or 1
