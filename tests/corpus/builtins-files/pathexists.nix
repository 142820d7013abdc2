[ (builtins.pathExists ./fixtures/hello.txt) (builtins.pathExists ./fixtures/dir) (builtins.pathExists ./fixtures/missing) (builtins.pathExists "/nixsharp-surely-missing-path") ]
