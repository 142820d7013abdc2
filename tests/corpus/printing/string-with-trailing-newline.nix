"ends\n"
