builtins.path { path = ./fixtures/single.txt; name = "sub/name"; }
