let x = builtins.trace "evaluated once" 42; in [ x x x ]
