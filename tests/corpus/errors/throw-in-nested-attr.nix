{ a = { b = throw "deep failure"; }; }.a.b
