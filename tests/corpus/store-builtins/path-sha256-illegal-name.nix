# With an expected hash the name is checked on the expected path, before anything is read.
builtins.path { path = ./fixtures/missing; name = "a b"; sha256 = "1ycx50nsbl2rr9rwy5qjbm1na8qkxcwwm2qzdjqqab0541mcnc1k"; }
