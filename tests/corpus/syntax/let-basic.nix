let x = 1; y = x + 1; in y * 10
