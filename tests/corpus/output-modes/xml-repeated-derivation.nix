let d = { type = "derivation"; drvPath = "/x.drv"; outPath = "/x"; name = "d"; }; in [ d d ]
