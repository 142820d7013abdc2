[ (builtins.add 1 0.5) (builtins.add 0.5 1) (builtins.mul 2 2.5) (builtins.div 1 2.0) (builtins.sub 1.5 1) ]
