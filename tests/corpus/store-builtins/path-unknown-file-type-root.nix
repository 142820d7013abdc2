[
  (builtins.path { path = /dev/null; recursive = false; })
  (builtins.path { path = /dev/null; })
]
