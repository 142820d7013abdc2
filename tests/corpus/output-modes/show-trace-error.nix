let f = x: x + "s"; in { a = f 1; }
