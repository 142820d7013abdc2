a: b: c: d: e: f: g: [ (a -> b) (!c) (-d) (e ? f.g) (a // b) (a ++ b) (a + b) (a - b) (a * b) (a / b) (a < b) (a > b) (a <= b) (a >= b) (a != b) (a == b) (a && b) (a || b) (f.g or a) ]
