[ (builtins.substring 4 10 "abcdef") (builtins.substring 10 2 "abc") (builtins.substring 0 0 "abc") ]
