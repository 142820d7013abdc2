builtins.trace 42 "v"
