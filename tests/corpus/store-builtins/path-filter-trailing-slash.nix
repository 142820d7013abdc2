# With a root that ends in '/', Nix still adds a '/' before each name: filters see "root//name".
let root = toString ./fixtures/tree; in
builtins.path {
  path = "${root}/";
  filter = p: t: builtins.trace (builtins.substring (builtins.stringLength root) (-1) p) (t != "directory");
}
