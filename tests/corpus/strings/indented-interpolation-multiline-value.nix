let v = "l1\nl2"; in ''
    x
      ${v}
''
