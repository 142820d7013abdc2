builtins.unsafeGetAttrPos "k" { ${"k"} = 1; }
