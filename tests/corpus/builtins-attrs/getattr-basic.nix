builtins.getAttr "a" { a = 1; }
