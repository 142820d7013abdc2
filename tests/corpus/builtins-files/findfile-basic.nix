builtins.findFile [ { prefix = "fx"; path = toString ./fixtures; } ] "fx/hello.txt"
