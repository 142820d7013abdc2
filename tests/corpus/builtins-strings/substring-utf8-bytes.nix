builtins.substring 0 1 "éa"
