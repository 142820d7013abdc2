[ (builtins.match "[[:alnum:]_]+" "ab_12") (builtins.match "0x([[:xdigit:]]+)" "0xDeadBeef") ]
