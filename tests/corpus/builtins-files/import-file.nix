(import ./fixtures/lib.nix).x
