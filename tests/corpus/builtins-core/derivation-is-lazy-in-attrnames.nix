builtins.attrNames (derivation { name = "n"; system = "x86_64-linux"; builder = "/bin/sh"; extra = 1; })
