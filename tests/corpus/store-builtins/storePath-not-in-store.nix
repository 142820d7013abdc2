builtins.storePath ./fixtures/tree
