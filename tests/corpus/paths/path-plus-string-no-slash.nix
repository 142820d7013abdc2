./dir + "file.txt"
