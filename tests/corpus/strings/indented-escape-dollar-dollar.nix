''
  $${literal} ''${also} $$
''
