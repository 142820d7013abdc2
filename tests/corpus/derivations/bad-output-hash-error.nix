(derivation { name = "badhash"; system = "x"; builder = "/bin/sh"; outputHash = "sha256-tooshort"; }).outPath
