''abc
  def
''
