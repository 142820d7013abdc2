builtins.listToAttrs (map (n: { name = n; value = 1; }) [ "if" "then" "else" "let" "in" "rec" "with" "inherit" "assert" "or" "true" "null" ])
