builtins.fromTOML ""
