''
	tab-indented
  space-indented
''
