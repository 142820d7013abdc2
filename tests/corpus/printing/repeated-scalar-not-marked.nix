let v = 5; s = "str"; in [ v v s s ]
