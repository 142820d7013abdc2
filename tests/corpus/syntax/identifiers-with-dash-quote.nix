let a-b = 1; c' = 2; _d = 3; e_f-g'' = 4; in [ a-b c' _d e_f-g'' ]
