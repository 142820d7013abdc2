builtins.path { path = ./fixtures/tree; recursive = "yes"; }
