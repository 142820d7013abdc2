builtins.fromTOML ''
  [a]
  x = 1
  [a]
  y = 2
''
