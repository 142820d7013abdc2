[ <mylib> <other/value.nix> <foo> ]
