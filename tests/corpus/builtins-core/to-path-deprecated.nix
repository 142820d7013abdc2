builtins.toPath "/x/y"
