map (s: builtins.match "[[:upper:]][[:lower:]]+" s) [ "Hello" "hello" "HELLO" ]
