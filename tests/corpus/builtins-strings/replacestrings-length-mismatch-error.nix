builtins.replaceStrings [ "a" "b" ] [ "A" ] "ab"
