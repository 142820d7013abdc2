let x = "sub"; in ./dir/${x}/file
