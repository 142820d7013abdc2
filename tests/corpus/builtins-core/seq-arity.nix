builtins.seq "a"
