builtins.functionArgs builtins.add
