~/foo/bar
