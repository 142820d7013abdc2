builtins.pathExists ./fixtures/dir/link-to-a
