(s@{ a ? s, ... }: builtins.attrNames a) { x = 1; }
