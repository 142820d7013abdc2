builtins.hasAttr "__functor" { __functor = s: x: x; }
