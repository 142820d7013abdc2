toString { outPath = { outPath = "/nested"; }; }
