<foo/file.txt>
