[ 1 (throw "compared") ] == [ 2 (throw "not compared") ]
