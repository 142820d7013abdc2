builtins.replaceStrings [ "\${" "''" ] [ "S" "Q" ] "x \${y} ''z"
