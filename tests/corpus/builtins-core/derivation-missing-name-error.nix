(derivation { system = "x"; builder = "/bin/sh"; }).drvPath
