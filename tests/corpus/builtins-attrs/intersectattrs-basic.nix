builtins.intersectAttrs { a = 1; b = 2; } { b = "B"; c = "C"; a = "A"; }
