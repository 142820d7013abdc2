# String heavy: interpolation, toString, concatenation, concatStringsSep, replaceStrings,
# substring, stringLength, split and match (regexes), hashString.
let
  n = 20000;
  ints = builtins.genList (i: i) n;

  lines = map (i: "line ${toString i}: value=${toString (i * 3)} flag=${if i / 2 * 2 == i then "even" else "odd"}") ints;
  text = builtins.concatStringsSep "\n" lines;

  # Repeated `+` on a growing accumulator (quadratic copying in naive implementations).
  acc = builtins.foldl' (s: i: s + toString i + ",") "" (builtins.genList (i: i) 3000);

  replaced = builtins.replaceStrings [ "value=" "flag=" "even" "odd" ] [ "v:" "f:" "E" "O" ] text;

  # Walk the text in fixed-size windows with substring.
  chunks = builtins.genList (i: builtins.substring (i * 37) 37 text) (builtins.stringLength text / 37);
  chunkLen = builtins.foldl' (a: c: a + builtins.stringLength c) 0 chunks;

  # Regex work per line.
  parsed = map (l: builtins.match "line ([0-9]+): value=([0-9]+) flag=(even|odd)" l) lines;
  parsedSum = builtins.foldl' (a: m: a + builtins.fromJSON (builtins.elemAt m 1)) 0 parsed;
  pieces = builtins.split "[:=]" (builtins.concatStringsSep " " (builtins.genList (i: builtins.elemAt lines i) 4000));
  words = builtins.filter builtins.isString pieces;

  upper = builtins.replaceStrings
    [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "l" "n" "o" "u" "v" ]
    [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "L" "N" "O" "U" "V" ] text;
in
{
  textLen = builtins.stringLength text;
  accLen = builtins.stringLength acc;
  replacedLen = builtins.stringLength replaced;
  inherit chunkLen parsedSum;
  words = builtins.length words;
  upperHash = builtins.hashString "sha256" upper;
  sample = builtins.substring 100 60 replaced;
  toStrings = toString [ 1 "a" true null 2.5 [ "x" [ "y" ] ] ];
}
