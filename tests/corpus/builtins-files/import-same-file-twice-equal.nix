(import ./fixtures/lib.nix).x + (import ./fixtures/lib.nix).x
