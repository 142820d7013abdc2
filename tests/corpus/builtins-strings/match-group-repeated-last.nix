builtins.match "(a|b)*" "abba"
