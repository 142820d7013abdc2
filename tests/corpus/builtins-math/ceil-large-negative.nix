builtins.ceil (-0.5)
