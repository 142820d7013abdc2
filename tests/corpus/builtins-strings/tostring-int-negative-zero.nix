[ (toString 0) (toString (-0)) (toString (-0.0)) ]
