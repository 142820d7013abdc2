(derivation { name = "pp"; system = "x86_64-linux"; builder = "/bin/sh"; }).name
