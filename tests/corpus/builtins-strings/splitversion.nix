map builtins.splitVersion [ "1.2.3" "1.2pre3" "2.0-beta_1" "" "abc" "1..2" "10a20" ]
