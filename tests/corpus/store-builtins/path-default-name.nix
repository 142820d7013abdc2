# builtins.path names the store path after the source's base name.
builtins.path { path = ./fixtures/tree; }
