builtins.foldl' (acc: x: x) 0 [ 1 (throw "elem forced? no") 3 ]
