{ foo = 1; }
