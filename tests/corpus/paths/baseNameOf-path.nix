builtins.baseNameOf /foo/bar.txt
