# Arguments are taken in the set's internal order (by symbol), not alphabetically: sha256 comes before recursive here.
builtins.path { path = ./fixtures/tree; sha256 = 1; recursive = 1; }
