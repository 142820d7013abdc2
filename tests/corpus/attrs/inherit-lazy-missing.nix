let s = { }; in builtins.attrNames { inherit (s) missing; }
