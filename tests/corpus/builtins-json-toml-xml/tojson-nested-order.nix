builtins.toJSON { z = { y = 1; x = 2; }; a = [ { c = 1; b = 2; } ]; }
