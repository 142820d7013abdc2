builtins.trace 0.1 (builtins.trace 1.0e20 true)
