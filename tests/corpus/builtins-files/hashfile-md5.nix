builtins.hashFile "md5" ./fixtures/hello.txt
