builtins.fromTOML ''
  title = "Example"
  count = 42
  ratio = 0.5
  enabled = true
''
