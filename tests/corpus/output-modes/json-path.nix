[ "not a path" ]
