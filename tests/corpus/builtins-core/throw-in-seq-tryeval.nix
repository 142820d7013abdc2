builtins.tryEval (builtins.seq (throw "inside seq") 1)
