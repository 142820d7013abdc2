{ foo = 1 + 2; bar = throw "not selected"; }
