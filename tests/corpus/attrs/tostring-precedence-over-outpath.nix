toString { outPath = "/o"; __toString = self: "ts"; }
