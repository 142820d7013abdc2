builtins.trace "hello trace" 1
