builtins.concatStringsSep "," [ "a" { outPath = "/out"; } ]
