import ./fixtures/hello.txt
