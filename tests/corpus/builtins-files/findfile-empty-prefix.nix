builtins.findFile [ { prefix = ""; path = toString ./fixtures/searchpath; } ] "mylib"
