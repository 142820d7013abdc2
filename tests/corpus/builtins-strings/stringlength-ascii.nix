[ (builtins.stringLength "") (builtins.stringLength "hello") ]
