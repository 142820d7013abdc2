builtins.trace "t" { x = 1; }
