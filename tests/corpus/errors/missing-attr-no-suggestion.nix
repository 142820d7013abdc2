let s = { alpha = 1; }; in s.zzzzzz
