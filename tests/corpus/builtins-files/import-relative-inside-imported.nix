import ./fixtures/relative/main.nix
