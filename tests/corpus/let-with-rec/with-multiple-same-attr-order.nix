with { a = 1; }; with { a = 2; }; with { b = 3; }; a
