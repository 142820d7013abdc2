builtins.floor 9.99
