let inner = { z = 1; }; in { a = inner; b = { c = inner; }; }
