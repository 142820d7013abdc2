builtins.toJSON { __toString = self: "ts"; a = 1; }
