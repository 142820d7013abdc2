({ a ? throw "unused", b }: b) { b = 2; }
