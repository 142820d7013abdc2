builtins.getAttr "missing" { present = 1; }
