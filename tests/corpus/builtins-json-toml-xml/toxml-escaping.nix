builtins.toXML "<tag attr=\"v\"> & 'apos'\nnewline"
