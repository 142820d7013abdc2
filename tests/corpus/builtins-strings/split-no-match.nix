builtins.split "x" "abc"
