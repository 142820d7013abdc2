let g = y: throw "boom"; f = x: g x; in f 1
