builtins.dirOf ./fixtures/hello.txt
