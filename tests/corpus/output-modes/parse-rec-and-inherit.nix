let x = 1; s = { y = 2; }; in rec { inherit x; inherit (s) y; z = x; }
