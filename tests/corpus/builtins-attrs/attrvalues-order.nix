builtins.attrValues { b = "B"; a = "A"; c = "C"; }
