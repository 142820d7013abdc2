scopedImport { a = 1; b = "two"; } ./fixtures/scoped.nix
