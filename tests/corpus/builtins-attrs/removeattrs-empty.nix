builtins.removeAttrs { a = 1; } [ ]
