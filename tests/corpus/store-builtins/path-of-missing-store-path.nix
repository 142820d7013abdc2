# A store path without context is read like any other path.
builtins.path { path = /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing; }
