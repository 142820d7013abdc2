with builtins; length (attrNames { a = 1; b = 2; })
