let filter = p: t: if baseNameOf p == "c.txt" then throw "no c.txt here" else true;
in builtins.path { path = ./fixtures/tree; inherit filter; }
