builtins.fromJSON "[[[[[[[[[[1]]]]]]]]]]"
