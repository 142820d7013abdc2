./x == toString ./x
