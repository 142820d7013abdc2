builtins.split "(x)?y" "ayb"
