let x = assert false; 1; in "ok"
