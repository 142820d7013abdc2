builtins.fromJSON "{ not json }"
