builtins.path { path = "${derivation { name = "x"; builder = "x"; system = "x"; }}"; }
