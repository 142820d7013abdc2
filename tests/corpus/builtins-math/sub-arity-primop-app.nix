builtins.sub 10
