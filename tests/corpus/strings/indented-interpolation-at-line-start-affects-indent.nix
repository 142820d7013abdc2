let v = "V"; in ''
    a
  ${v}
''
