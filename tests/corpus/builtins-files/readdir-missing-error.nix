builtins.readDir ./fixtures/nope
