[ 1 "a" 2.5 false null ]
