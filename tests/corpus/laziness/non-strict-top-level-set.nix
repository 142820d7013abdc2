{ a = 1 + 1; b = throw "lazy"; c = [ (throw "lazy too") ]; }
