builtins.mapAttrs (n: v: (builtins.tryEval v).success) { a = 1; b = throw "x"; c = assert false; 1; }
