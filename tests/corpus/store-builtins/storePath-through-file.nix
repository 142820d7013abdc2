builtins.storePath ./fixtures/single.txt/x
