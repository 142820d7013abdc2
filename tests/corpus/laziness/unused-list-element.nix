builtins.elemAt [ (throw "a") 2 (throw "c") ] 1
