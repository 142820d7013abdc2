{ __toString = self: "custom"; }
