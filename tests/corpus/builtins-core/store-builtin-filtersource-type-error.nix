builtins.filterSource 1 2
