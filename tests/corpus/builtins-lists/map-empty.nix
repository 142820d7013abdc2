map (throw "f not needed") [ ]
