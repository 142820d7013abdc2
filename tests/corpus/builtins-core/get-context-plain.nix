builtins.getContext "plain string"
