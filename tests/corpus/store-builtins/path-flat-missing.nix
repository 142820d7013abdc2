builtins.path { path = ./fixtures/missing; recursive = false; }
