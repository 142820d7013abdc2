let l = [ 1 { back = l; } ]; in l
