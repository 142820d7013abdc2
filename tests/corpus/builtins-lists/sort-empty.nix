builtins.sort (a: b: throw "never") [ ]
