toString { __toString = self: throw "in toString"; }
