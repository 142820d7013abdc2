(throw "left") ++ [ 1 ]
