builtins.fromTOML ''
  ints = [ 1, 2, 3 ]
  strs = [ "a", 'b' ]
  nested = [ [ 1, 2 ], [ "x" ] ]
  multi = [
    1,
    2,
  ]
  empty = []
''
