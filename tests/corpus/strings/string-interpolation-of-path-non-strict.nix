let p = ./x; in "${p}"
