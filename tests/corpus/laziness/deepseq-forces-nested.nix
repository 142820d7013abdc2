builtins.deepSeq [ { a = throw "deep"; } ] "not ok"
