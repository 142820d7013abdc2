"a${"b"}c" == "abc"
