scopedImport { a = 1; } ./fixtures/scoped.nix
