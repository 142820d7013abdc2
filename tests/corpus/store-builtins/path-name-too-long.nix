builtins.path { path = ./fixtures/single.txt; name = builtins.concatStringsSep "" (builtins.genList (i: "x") 212); }
