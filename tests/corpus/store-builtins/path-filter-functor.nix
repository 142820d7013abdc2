# The filter of builtins.path may be any callable value, such as a set with __functor.
builtins.path { path = ./fixtures/tree; filter = { __functor = self: p: t: t != "symlink"; }; }
