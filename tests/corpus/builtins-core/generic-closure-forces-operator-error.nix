builtins.genericClosure { startSet = [ ]; operator = throw "never"; }
