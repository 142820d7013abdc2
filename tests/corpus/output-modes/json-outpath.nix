{ a = { outPath = "/out/path"; }; }
