builtins.hashFile "sha256" ./fixtures/hello.txt
