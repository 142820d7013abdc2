let o = { __functor = self: 5; }; in o 1
