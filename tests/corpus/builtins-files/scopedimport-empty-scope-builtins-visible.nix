scopedImport { } ./fixtures/scoped-builtins.nix
