builtins.filterSource (p: t: true) (builtins.path { path = ./fixtures/tree; })
