let f = { __functor = self: x: "called"; }; in f (throw "never")
