builtins.genList (i: i)
