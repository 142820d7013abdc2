./dir + "/file.txt"
