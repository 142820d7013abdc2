let x = throw "never"; in 1
