let x = 123456789; in builtins.bitXor x x
