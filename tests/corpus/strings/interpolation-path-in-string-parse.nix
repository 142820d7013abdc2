"prefix ${./file} suffix"
