builtins.toXML false
