let v = { x = 1; }; in [ v v ]
