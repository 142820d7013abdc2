# JSON: toJSON of a large nested structure (strings needing escapes, ints, floats, bools,
# nulls, nested sets/lists), fromJSON back, and a structural comparison of the round trip.
let
  n = 12000;
  item = i: {
    id = i;
    name = "item-${toString i} \"quoted\" \\ tab\t nl\n unicode é ✓";
    score = i * 1.5;
    active = i / 3 * 3 == i;
    parent = if i == 0 then null else i / 2;
    tags = builtins.genList (j: "tag${toString (i + j)}") 5;
    meta = { depth = { level = i - (i / 7) * 7; path = [ "a" "b" (toString i) ]; }; empty = { }; none = [ ]; };
  };
  data = {
    version = 3;
    items = builtins.genList item n;
    index = builtins.listToAttrs (builtins.genList (i: { name = "i${toString i}"; value = i * 2; }) n);
  };

  json = builtins.toJSON data;
  back = builtins.fromJSON json;
  # Second round trip: the printed JSON must be a fixed point.
  json2 = builtins.toJSON back;

  # A handwritten document with escapes and number forms fromJSON must accept.
  literal = builtins.fromJSON ''{"a": [1, -2, 3.5e2, 0.25, true, false, null], "s": "x\u00e9\ty\"z", "n": {"m": {}}}'';
in
{
  length = builtins.stringLength json;
  roundTripEqual = back == data;
  fixedPoint = json == json2;
  hash = builtins.hashString "sha256" json;
  count = builtins.length back.items;
  sample = (builtins.elemAt back.items 123).name;
  indexSum = builtins.foldl' (a: b: a + b) 0 (builtins.attrValues back.index);
  inherit literal;
}
