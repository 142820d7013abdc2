builtins.hashString "md5" "héllo"
