[ (1 + 1) (throw "lazy") ]
