import ./fixtures/function.nix { n = 3; } 7
