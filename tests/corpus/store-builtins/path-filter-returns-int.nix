builtins.path { path = ./fixtures/tree; filter = p: t: 1; }
