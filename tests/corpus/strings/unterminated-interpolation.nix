"abc ${x"
