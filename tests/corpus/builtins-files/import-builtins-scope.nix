import ./fixtures/uses-with-builtins.nix
