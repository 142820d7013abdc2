{ ok = 1; bad = abort "bad attr"; }
