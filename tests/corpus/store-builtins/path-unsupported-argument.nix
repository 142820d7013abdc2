builtins.path { path = ./fixtures/tree; foo = 1; }
