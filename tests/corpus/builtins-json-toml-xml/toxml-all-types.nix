builtins.toXML { i = 1; f = 1.5; s = "str"; b = true; n = null; l = [ 1 "a" ]; p = /a/b; e = { }; }
