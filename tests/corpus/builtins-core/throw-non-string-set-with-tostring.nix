throw { __toString = self: "from toString"; }
