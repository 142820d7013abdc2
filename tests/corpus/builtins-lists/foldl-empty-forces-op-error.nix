builtins.foldl' (throw "op unused") "init" [ ]
