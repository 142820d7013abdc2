[ (builtins.match "a{2,3}" "aa") (builtins.match "a{2,3}" "aaaa") (builtins.match "(ab){2}" "abab") ]
