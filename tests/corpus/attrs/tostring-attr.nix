let s = { __toString = self: "S(${toString self.v})"; v = 7; }; in toString s
