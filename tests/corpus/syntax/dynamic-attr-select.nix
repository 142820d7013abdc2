let s = { foo = 1; "a b" = 2; }; n = "foo"; in [ s.${n} s."a b" s.${"a" + " b"} ]
