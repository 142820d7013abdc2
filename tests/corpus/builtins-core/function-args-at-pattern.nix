builtins.functionArgs (s@{ x, y ? 0 }: x)
