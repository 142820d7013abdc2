builtins.genericClosure { startSet = [ { key = "a"; v = 1; } { key = "a"; v = 2; } ]; operator = x: [ { key = "b"; } { key = "a"; v = 3; } ]; }
