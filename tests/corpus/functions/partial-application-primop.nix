let add3 = builtins.add 3; in [ (add3 4) (map add3 [ 1 2 ]) ]
