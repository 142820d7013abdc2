builtins.pathExists (toString ./fixtures/hello.txt)
