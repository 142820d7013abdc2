let s = { foo = 1; bar = 2; baz = 3; }; in s.bax
