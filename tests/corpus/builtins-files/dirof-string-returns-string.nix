builtins.typeOf (builtins.dirOf "/a/b")
