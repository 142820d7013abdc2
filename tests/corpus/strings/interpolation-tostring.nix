let n = 5; in "n = ${toString n}"
