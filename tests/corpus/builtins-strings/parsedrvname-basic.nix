builtins.parseDrvName "hello-2.10"
