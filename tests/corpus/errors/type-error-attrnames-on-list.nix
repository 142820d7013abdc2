builtins.attrNames [ 1 ]
