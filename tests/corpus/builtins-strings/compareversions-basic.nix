[ (builtins.compareVersions "1.0" "2.0") (builtins.compareVersions "2.0" "1.0") (builtins.compareVersions "1.0" "1.0") ]
