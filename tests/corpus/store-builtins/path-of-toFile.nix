builtins.path { path = "${builtins.toFile "x" "y"}"; }
