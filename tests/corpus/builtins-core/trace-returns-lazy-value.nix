builtins.trace "msg" (1 + 1)
