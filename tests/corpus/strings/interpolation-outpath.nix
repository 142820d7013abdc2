let s = { outPath = "/some/out"; }; in "p=${s}"
