builtins.path { path = ./fixtures/tree; name = 1; }
