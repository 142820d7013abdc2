with { a = 1; }; a.b
