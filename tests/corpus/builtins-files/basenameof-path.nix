builtins.baseNameOf ./fixtures/hello.txt
