rec { s = { a = 1; }; inherit (s) a; }
