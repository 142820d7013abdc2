let v = { a = [ 1 "x" { b = null; } ]; c = true; }; in builtins.fromJSON (builtins.toJSON v) == v
