let l = x: x; in l.5
