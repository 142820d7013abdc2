''
  text''
