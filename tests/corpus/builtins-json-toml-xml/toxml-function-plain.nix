builtins.toXML (x: x)
