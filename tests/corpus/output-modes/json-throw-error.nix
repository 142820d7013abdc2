{ a = throw "json throw"; }
