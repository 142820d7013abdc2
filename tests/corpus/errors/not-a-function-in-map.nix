map "notfn" [ 1 ]
