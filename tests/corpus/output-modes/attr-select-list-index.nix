{ list = [ "zero" "one" "two" ]; }
