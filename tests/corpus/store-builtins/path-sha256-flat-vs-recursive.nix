# The flat hash of a file does not match its recursive copy.
builtins.path { path = ./fixtures/single.txt; sha256 = "1nn4w2x5qc5jy5fik1bsjvqjvb2nqnhizba1sa28x538fl4l6gzj"; }
