let s = { self = s; }; in s
