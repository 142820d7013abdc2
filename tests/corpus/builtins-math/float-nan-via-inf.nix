let inf = (builtins.fromTOML "a = inf").a; nan = inf - inf; in [ (nan == nan) (nan < 1) (1 < nan) ]
