builtins.replaceStrings [ "o" ] [ "" ] "foo boo"
