# The filter is called once per entry below the root, depth first in name order, with the full
# path (a plain string) and the type; a refused directory's contents are not visited.
let
  root = toString ./fixtures/tree;
  rel = p: builtins.substring (builtins.stringLength root) (-1) p;
in builtins.path {
  path = ./fixtures/tree;
  filter = p: t: builtins.trace "${rel p} ${t} ${builtins.typeOf p} ${toString (builtins.length (builtins.attrNames (builtins.getContext p)))}"
    (baseNameOf p != "deeper");
}
