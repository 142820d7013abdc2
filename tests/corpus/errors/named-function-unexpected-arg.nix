let myFunc = { a }: a; in myFunc { a = 1; c = 2; }
