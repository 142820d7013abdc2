builtins.addErrorContext "some context" 5
