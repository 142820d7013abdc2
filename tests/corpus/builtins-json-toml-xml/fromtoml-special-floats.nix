builtins.fromTOML ''
  a = inf
  b = -inf
''
