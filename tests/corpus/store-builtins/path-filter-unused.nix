# A filter is never called for a single file or a flat copy, so even a non-function goes unnoticed.
[
  (builtins.path { path = ./fixtures/single.txt; filter = 1; })
  (builtins.path { path = ./fixtures/single.txt; recursive = false; filter = p: t: false; })
  (builtins.path { path = ./fixtures/single.txt; recursive = false; })
]
