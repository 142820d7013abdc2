[ 1 2 (throw "third element") ]
