builtins.path { path = ./fixtures/tree; sha256 = "md5:3330cb6a20052c85b16c1f8bca39eb132365435d1217cf73ca59d0a52d289df9"; }
