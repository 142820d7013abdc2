map (s: builtins.match "([[:alpha:]]+)([[:digit:]]*)([[:punct:]]?)" s) [ "abc123!" "XyZ" "9" ]
