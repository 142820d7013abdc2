builtins.mul true 2
