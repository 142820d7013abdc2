builtins.fromJSON ''{ "a": 1, "b": [ 1, 2.5, "x", true, false, null ], "c": { "d": {} } }''
