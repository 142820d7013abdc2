# A name Nix does not allow in store paths: the message quotes the computed base name.
builtins.path { path = ./fixtures/tree; name = "a@b"; }
