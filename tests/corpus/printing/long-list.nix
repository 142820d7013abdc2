builtins.genList (x: x) 30
