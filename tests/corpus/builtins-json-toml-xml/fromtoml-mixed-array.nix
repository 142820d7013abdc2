builtins.fromTOML ''
  m = [ 1, "two" ]
''
