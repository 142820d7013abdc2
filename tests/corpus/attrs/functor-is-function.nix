let f = { __functor = self: x: x; }; in [ (builtins.isFunction f) (builtins.isAttrs f) (builtins.typeOf f) ]
