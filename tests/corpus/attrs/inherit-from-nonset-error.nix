let s = 5; in { inherit (s) a; }.a
