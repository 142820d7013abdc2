# A double slash makes the store object part "/nix/store/" itself.
builtins.storePath "/nix/store//aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo"
