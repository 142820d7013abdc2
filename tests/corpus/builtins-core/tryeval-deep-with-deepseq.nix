let v = { a = throw "inner"; }; in builtins.tryEval (builtins.deepSeq v v)
