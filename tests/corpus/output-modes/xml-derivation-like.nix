{ type = "derivation"; drvPath = "/x.drv"; outPath = "/x"; }
