builtins.tryEval (builtins.deepSeq [ [ [ (throw "deep in list") ] ] ] 1)
