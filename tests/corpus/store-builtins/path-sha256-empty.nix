# An empty hash stands for a fake one, with a warning; it never matches.
builtins.path { path = ./fixtures/single.txt; sha256 = ""; }
