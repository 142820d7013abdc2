builtins.isInt (builtins.length (builtins.attrNames builtins))
