builtins.fromTOML "ml = \"\"\"\nline one\nline two \\\n    continued\"\"\"\n"
