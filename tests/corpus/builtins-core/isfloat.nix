map builtins.isFloat [ 1.0 1 (1 / 2) (1 / 2.0) (builtins.floor 1.5) ]
