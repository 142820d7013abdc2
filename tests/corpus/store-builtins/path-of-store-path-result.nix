# The result of builtins.path is not in the store in read-only evaluation, so it cannot be copied again.
builtins.path { path = builtins.path { path = ./fixtures/tree; }; }
