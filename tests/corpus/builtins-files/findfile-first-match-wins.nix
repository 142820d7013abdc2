builtins.findFile [ { prefix = "p"; path = toString ./fixtures/missing; } { prefix = "p"; path = toString ./fixtures/somedir; } { prefix = "p"; path = toString ./fixtures/dir; } ] "p/file.txt"
