let o = { v = 1; __functor = self: arg: self.v + arg; }; in (o // { v = 100; }) 1
