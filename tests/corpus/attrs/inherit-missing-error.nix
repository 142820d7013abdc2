let s = { }; in { inherit (s) missing; }.missing
