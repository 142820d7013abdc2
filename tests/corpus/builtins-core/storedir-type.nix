builtins.isString builtins.storeDir
