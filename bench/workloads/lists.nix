# List heavy: genList, map, filter, foldl', sort, elem, concatLists, concatMap, partition,
# groupBy, elemAt, list `++` growth.
let
  n = 50000;
  xs = builtins.genList (i: (i * 7919 + 13) - ((i * 7919 + 13) / 100003) * 100003) n;

  sorted = builtins.sort builtins.lessThan xs;
  sortedDesc = builtins.sort (a: b: a > b) (map (x: x * 3) xs);

  evens = builtins.filter (x: x / 2 * 2 == x) xs;
  squares = map (x: x * x) evens;
  total = builtins.foldl' (a: b: a + b) 0 squares;

  # elem is linear, so a few hundred probes over a 50k list is real work.
  probes = builtins.genList (i: i * 331) 300;
  found = builtins.length (builtins.filter (p: builtins.elem p xs) probes);

  nestedLists = builtins.genList (i: builtins.genList (j: i + j) 20) 2000;
  flat = builtins.concatLists nestedLists;
  flatMapped = builtins.concatMap (x: [ x (x + 1) ]) flat;

  parts = builtins.partition (x: x < 50000) xs;
  grouped = builtins.groupBy (x: toString (x - (x / 10) * 10)) xs;

  # Repeated `++` on a growing list (each copies).
  appended = builtins.foldl' (acc: i: acc ++ [ i ]) [ ] (builtins.genList (i: i) 2000);

  # Index-based access and a manual reverse.
  rev = l: builtins.genList (i: builtins.elemAt l (builtins.length l - 1 - i)) (builtins.length l);
  reversedHead = builtins.head (rev sorted);

  zipped = builtins.genList (i: builtins.elemAt sorted i - builtins.elemAt xs i) n;
in
{
  first = builtins.head sorted;
  last = builtins.elemAt sorted (n - 1);
  descFirst = builtins.head sortedDesc;
  inherit total found reversedHead;
  flatLen = builtins.length flat;
  flatMappedSum = builtins.foldl' (a: b: a + b) 0 flatMapped;
  parts = [ (builtins.length parts.right) (builtins.length parts.wrong) ];
  groups = builtins.mapAttrs (k: v: builtins.length v) grouped;
  appendedLen = builtins.length appended;
  anyAll = [ (builtins.any (x: x > 100000) xs) (builtins.all (x: x >= 0) xs) ];
  zippedSum = builtins.foldl' (a: b: a + b) 0 zipped;
}
