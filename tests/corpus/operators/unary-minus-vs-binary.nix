let a = 5; b = 3; in [ (a - b) (a -b) (-a) (- a - b) (-a * b) (- - a) ]
