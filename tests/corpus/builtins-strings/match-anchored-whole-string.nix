[ (builtins.match "ab" "abc") (builtins.match ".*b.*" "abc") ]
