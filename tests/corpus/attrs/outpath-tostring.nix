toString { outPath = "/nix/fake"; }
