[ 1 (throw "not reached") ] < [ 2 (throw "nor this") ]
