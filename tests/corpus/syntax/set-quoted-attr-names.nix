{ "foo bar" = 1; "" = 2; "with\"quote" = 3; "1abc" = 4; }
