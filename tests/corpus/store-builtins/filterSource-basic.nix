# filterSource is builtins.path with a filter and the default name.
let filter = p: t: t != "symlink" && baseNameOf p != "sub"; in
[
  (builtins.filterSource filter ./fixtures/tree)
  (builtins.path { path = ./fixtures/tree; inherit filter; })
  (builtins.filterSource (p: t: true) ./fixtures/tree == "${./fixtures/tree}")
  (builtins.filterSource (p: t: true) (toString ./fixtures/single.txt))
]
