map builtins.dirOf [ "/a/b/c" "/a/b/c/" "c" "" "/" "/a" "a/b" ]
