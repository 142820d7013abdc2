let nats = n: [ n (nats (n + 1)) ]; take = k: l: if k == 0 then [ ] else [ (builtins.head l) ] ++ take (k - 1) (builtins.elemAt l 1); in take 5 (nats 0)
