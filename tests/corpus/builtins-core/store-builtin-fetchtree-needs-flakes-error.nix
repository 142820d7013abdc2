builtins.fetchTree { }
