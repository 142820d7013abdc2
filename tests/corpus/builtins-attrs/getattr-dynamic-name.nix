let n = "b"; in builtins.getAttr ("a" + n) { ab = "found"; }
