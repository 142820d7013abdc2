{ a = 1; b = "two"; c = [ true null ]; d = 1.5; }
