[ (throw "lazy element") ]
