let a = 6; b = 3; in [ (a/b) ]
