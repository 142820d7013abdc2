# Entries with non-ASCII names are visited in byte order and reach the filter as UTF-8.
let root = toString ./fixtures/utf8; in
[
  (builtins.path { path = ./fixtures/utf8; filter = p: t: builtins.trace (builtins.substring (builtins.stringLength root) (-1) p) true; })
  (builtins.path { path = ./fixtures/utf8; filter = p: t: baseNameOf p != "é.txt"; })
]
