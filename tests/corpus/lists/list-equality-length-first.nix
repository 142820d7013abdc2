[ (throw "a") ] == [ 1 2 ]
