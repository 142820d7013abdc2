builtins.trace null (builtins.trace (x: x) "v")
