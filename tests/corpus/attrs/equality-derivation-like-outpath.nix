let a = { type = "derivation"; outPath = "/x"; foo = 1; }; b = { type = "derivation"; outPath = "/x"; foo = 2; }; in a == b
