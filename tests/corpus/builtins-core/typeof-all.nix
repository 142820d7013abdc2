map builtins.typeOf [ 1 1.5 "s" true null [ ] { } (x: x) builtins.add (builtins.add 1) /p ]
