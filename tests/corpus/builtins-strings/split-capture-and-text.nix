builtins.split "([0-9]+)" "a12b345c"
