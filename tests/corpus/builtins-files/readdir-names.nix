builtins.attrNames (builtins.readDir ./fixtures/searchpath)
