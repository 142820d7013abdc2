let s = { a = [ s ]; }; in builtins.deepSeq s "done"
