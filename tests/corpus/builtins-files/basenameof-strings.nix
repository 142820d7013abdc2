map builtins.baseNameOf [ "/a/b/c" "/a/b/c/" "c" "" "/" "a/" "//x//" ]
