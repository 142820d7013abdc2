[ (__add 1 2) (__length [ 1 2 3 ]) (__head [ 9 ]) ]
