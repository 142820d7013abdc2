builtins.toString ./sub
