map builtins.parseDrvName [ "nix-2.8.0pre" "foo-bar-1.0-beta" "no-version" "gcc-wrapper-10.2.0" "a-1b" "x-" "-1" "plain" "pkg-2-3" ]
