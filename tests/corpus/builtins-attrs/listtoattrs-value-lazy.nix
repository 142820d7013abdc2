(builtins.listToAttrs [ { name = "a"; value = throw "lazy"; } ]) ? a
