{ a = throw "cmp"; } == { a = 1; }
