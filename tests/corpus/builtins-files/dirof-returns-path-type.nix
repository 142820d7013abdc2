builtins.typeOf (builtins.dirOf ./fixtures/hello.txt)
