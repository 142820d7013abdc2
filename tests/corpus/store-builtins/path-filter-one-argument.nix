# ... and a function of one argument fails when its result is called with the type.
builtins.path { path = ./fixtures/tree; filter = p: true; }
