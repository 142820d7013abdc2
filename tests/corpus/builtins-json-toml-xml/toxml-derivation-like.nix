builtins.toXML { type = "derivation"; drvPath = "/fake.drv"; outPath = "/fake-out"; name = "x"; }
