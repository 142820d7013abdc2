let v = "X"; in ''
  ${v}
  ${v}
''
