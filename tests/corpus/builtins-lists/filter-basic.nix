builtins.filter (x: builtins.isInt x && x > 1) [ 0 1 2 3 "a" ]
