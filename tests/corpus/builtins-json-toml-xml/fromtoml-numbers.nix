builtins.fromTOML ''
  hex = 0xff
  oct = 0o17
  bin = 0b101
  under = 1_000_000
  neg = -7
  pos = +3
  flt = 6.626e-34
  fltu = 1_000.5
''
