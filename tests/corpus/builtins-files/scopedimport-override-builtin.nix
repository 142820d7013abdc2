scopedImport { toString = x: "overridden"; } ./fixtures/scoped-builtins.nix
