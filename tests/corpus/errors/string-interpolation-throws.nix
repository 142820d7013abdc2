"prefix ${throw "in interp"} suffix"
