# The name changes the store path; an empty name falls back to the base name.
[
  (builtins.path { path = ./fixtures/tree; name = "my-source"; })
  (builtins.path { path = ./fixtures/tree; name = ""; })
  (builtins.path { path = ./fixtures/single.txt; name = "renamed.txt"; })
]
