let a-b = 10; a = 3; b = 1; in [ a-b (a - b) (a -b) ]
