let n = "x"; in { a.${n}.b = 1; a.y = 2; }
