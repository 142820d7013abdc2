builtins.addErrorContext "outer context" (builtins.addErrorContext "inner context" (1 + "x"))
