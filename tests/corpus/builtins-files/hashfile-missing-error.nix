builtins.hashFile "sha1" ./fixtures/nope.txt
