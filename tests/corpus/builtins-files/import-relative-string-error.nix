import "fixtures/lib.nix"
