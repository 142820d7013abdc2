{ "let" = 3; }.let
