builtins.path { path = ./fixtures/tree; sha256 = 1; }
