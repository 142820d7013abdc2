builtins.fromJSON ''{ "": 1 }''
