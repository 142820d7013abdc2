(derivation { name = "h"; system = "x"; builder = "/bin/sh"; outputHash = "sha999-x"; }).outPath
