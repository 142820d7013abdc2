let v = "V"; in ''
  start ${v} end
    ${v}
''
