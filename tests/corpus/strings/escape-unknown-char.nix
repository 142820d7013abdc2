"\a\b\c\q\0"
