let base = { a = 1; b = { c = 2; }; }; in base // { b = base.b // { d = 3; }; }
