let o = { __functor = 5; }; in o 1
