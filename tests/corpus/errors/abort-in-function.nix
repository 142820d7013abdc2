let f = x: if x > 2 then abort "x too big: ${toString x}" else x; in f 3
