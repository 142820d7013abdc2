let myFunc = { a, b }: a; in myFunc { a = 1; }
