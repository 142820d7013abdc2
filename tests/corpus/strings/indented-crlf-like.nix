''
  a  b
    c
''
