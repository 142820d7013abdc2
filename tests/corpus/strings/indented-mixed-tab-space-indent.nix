''
  	tab after spaces
  two spaces
''
