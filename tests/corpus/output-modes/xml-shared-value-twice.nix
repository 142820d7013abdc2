let y = { b = [ 1 ]; }; in { a = y; c = y; d = [ y y ]; }
