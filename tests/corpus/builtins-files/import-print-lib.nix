import ./fixtures/lib.nix
