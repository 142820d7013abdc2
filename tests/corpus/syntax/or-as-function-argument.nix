let f = x: x; or = 3; in f or
