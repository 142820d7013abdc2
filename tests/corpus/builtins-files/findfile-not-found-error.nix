builtins.findFile [ { prefix = "x"; path = toString ./fixtures; } ] "y/z"
