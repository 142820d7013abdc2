[ (builtins.dirOf /foo/bar/baz) (builtins.dirOf /foo) (builtins.dirOf /.) ]
