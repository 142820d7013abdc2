''abc ''x''
