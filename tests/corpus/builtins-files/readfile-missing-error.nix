builtins.readFile ./fixtures/does-not-exist.txt
