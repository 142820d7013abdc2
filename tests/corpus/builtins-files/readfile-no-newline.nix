builtins.readFile ./fixtures/no-newline.txt
