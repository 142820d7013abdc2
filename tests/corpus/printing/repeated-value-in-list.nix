let v = [ 1 2 ]; in [ v v ]
