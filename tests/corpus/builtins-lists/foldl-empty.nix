builtins.foldl' (a: b: a) "init" [ ]
