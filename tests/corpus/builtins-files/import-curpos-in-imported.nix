(import ./fixtures/lib.nix).pos
