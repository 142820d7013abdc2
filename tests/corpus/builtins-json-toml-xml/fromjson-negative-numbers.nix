builtins.fromJSON "[ -1, -0, -1.5, -0.0 ]"
