let f = x: x.attr; g = y: f y; in g 5
