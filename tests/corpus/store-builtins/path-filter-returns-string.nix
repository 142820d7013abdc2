builtins.filterSource (p: t: "yes") ./fixtures/tree
