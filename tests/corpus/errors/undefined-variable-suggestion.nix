let value = 1; in valeu
