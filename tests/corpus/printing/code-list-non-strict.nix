[ (1 + 1) 2 "s" null ]
