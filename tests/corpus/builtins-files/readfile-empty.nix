builtins.readFile ./fixtures/empty.txt
