''
  ünïcödé
  emoji 😀
''
