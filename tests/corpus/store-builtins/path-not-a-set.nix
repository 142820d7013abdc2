builtins.path ./fixtures/tree
