(derivation { name = "h"; system = "x"; builder = "/bin/sh"; outputHash = "sha256:abc"; }).outPath
