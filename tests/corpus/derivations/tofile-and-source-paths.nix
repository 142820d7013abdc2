[ (builtins.toFile "greeting" "hello\n") "${./paths-of-every-output-kind.nix}" (builtins.toFile "with-ref" "see ${builtins.toFile "inner" "x"}") ]
