builtins.toJSON { a = 1; b = "two"; c = [ true false null ]; d = { }; e = [ ]; }
