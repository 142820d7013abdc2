builtins.trace [ 1 (1 + 1) ] "v"
