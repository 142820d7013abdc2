builtins.toXML "ünï ✓"
