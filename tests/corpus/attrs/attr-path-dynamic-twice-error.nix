let n = "x"; in { a.${n}.b = 1; a.${n}.c = 2; }
