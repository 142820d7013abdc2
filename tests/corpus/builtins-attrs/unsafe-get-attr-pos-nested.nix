let s = { outer = {
    inner = 1;
  }; }; in builtins.unsafeGetAttrPos "inner" s.outer
