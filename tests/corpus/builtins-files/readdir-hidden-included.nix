(builtins.readDir ./fixtures/dir) ? ".hidden"
