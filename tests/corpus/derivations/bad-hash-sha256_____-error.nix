(derivation { name = "h"; system = "x"; builder = "/bin/sh"; outputHash = "sha256-!!!!"; }).outPath
