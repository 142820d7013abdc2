builtins.attrNames { b = 1; a = 2; C = 3; "_x" = 4; "1" = 5; }
