let s = { ab = 1; }; x = "a"; in s."${x}b"
