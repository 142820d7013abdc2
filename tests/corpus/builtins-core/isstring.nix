map builtins.isString [ "" "a" ./p 1 null { outPath = "x"; } ]
