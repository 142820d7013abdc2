builtins.groupBy builtins.substring [ ]
