let d = "a"; in /${d}/b
