builtins.tryEval [ (throw "inner not forced") ]
