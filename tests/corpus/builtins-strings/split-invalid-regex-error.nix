builtins.split "(" "abc"
