builtins.storePath "nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo"
