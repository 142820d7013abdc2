map (s: builtins.match "(foo|bar)-([0-9]+)" s) [ "foo-12" "bar-3" "baz-1" ]
