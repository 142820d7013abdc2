let d = derivation { name = "thing"; system = "x86_64-linux"; builder = "/bin/sh"; }; in [ d.type d.name d.outputName d.system (builtins.isAttrs d) ]
