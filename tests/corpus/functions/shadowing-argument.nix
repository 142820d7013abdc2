let x = 1; f = x: x; in f 2
