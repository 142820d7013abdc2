{ f = x: x; g = builtins.map; }
