[ (builtins.floor 1.5) (builtins.ceil 1.5) (builtins.floor (-1.5)) (builtins.ceil (-1.5)) (builtins.floor 2) (builtins.ceil 2) ]
