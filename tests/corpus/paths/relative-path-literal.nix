./foo/bar
