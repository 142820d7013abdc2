builtins.storePath ./fixtures/missing/x
