# Attribute-set heavy: big sets from listToAttrs, chains of `//` merges, mapAttrs,
# dynamic lookups, attrNames/attrValues, removeAttrs, and a recursive set.
let
  n = 20000;
  name = i: "k${toString i}";
  big = builtins.listToAttrs (builtins.genList (i: { name = name i; value = i; }) n);

  # Many small overlays on a large set: each `//` copies, so this is merge-bound.
  overlays = builtins.genList (j: { "k${toString (j * 97)}" = -j; extra = j; }) 400;
  merged = builtins.foldl' (acc: o: acc // o) big overlays;

  doubled = builtins.mapAttrs (k: v: v * 2) merged;

  # Random-ish lookups by computed name, plus `or` defaults for missing keys.
  lookups = builtins.foldl'
    (acc: i: acc + doubled.${name (i * 7919 - (i * 7919 / n) * n)} + (big.${"missing${toString i}"} or 1))
    0 (builtins.genList (i: i) n);

  # Nested sets and attribute paths.
  nested = builtins.listToAttrs (builtins.genList (i: {
    name = name i;
    value = { inner = { v = i; w = { x = i * 3; }; }; tag = "t${toString (i - (i / 10) * 10)}"; };
  }) 5000);
  nestedSum = builtins.foldl' (acc: k: acc + nested.${k}.inner.w.x) 0 (builtins.attrNames nested);
  hasCount = builtins.length (builtins.filter (k: nested.${k} ? inner.w.x) (builtins.attrNames nested));

  # Group by tag: repeated small merges into an accumulator set.
  groups = builtins.foldl'
    (acc: v: acc // { ${v.tag} = (acc.${v.tag} or 0) + 1; })
    { } (builtins.attrValues nested);

  trimmed = removeAttrs merged (builtins.genList (i: name (i * 2)) (n / 2));

  # Recursive set whose attributes refer to each other.
  chain = rec {
    a = 1; b = a + 1; c = b * 2; d = c + a + b;
    all = [ a b c d ];
    total = builtins.foldl' (x: y: x + y) 0 all;
  };

  inherited = let inherit (chain) a d total; in { inherit a d total; };
in
{
  size = builtins.length (builtins.attrNames merged);
  inherit lookups nestedSum hasCount groups inherited;
  trimmedSize = builtins.length (builtins.attrValues trimmed);
  intersect = builtins.length (builtins.attrNames (builtins.intersectAttrs trimmed big));
  catAttrs = builtins.length (builtins.catAttrs "extra" overlays);
}
