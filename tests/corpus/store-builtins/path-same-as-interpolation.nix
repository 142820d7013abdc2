# builtins.path without options gives the same store path as interpolating the path.
let viaPath = builtins.path { path = ./fixtures/tree; }; in
[ viaPath "${./fixtures/tree}" (viaPath == "${./fixtures/tree}") (builtins.path { path = ./fixtures/single.txt; } == "${./fixtures/single.txt}") ]
