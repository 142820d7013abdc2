throw "top level is forced"
