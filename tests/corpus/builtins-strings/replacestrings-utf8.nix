builtins.replaceStrings [ "ö" ] [ "oe" ] "schön böse"
