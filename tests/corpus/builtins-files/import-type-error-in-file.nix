import ./fixtures/type-error.nix
