builtins.substring (-1) 2 "abcdef"
