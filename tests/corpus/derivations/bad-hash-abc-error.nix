(derivation { name = "h"; system = "x"; builder = "/bin/sh"; outputHash = "abc"; }).outPath
