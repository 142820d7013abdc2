# Refusing a directory leaves out its whole subtree, whatever the filter says about what is inside.
[
  (builtins.path { path = ./fixtures/tree; filter = p: t: baseNameOf p != "sub"; })
  (builtins.path { path = ./fixtures/tree; filter = p: t: baseNameOf p != "deeper"; })
  (builtins.path { path = ./fixtures/tree; filter = p: t: baseNameOf p != "d.txt"; })
]
