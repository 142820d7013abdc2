throw "never evaluated"
