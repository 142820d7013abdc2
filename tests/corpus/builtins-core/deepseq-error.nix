builtins.deepSeq { a.b.c = throw "nested throw"; } 1
