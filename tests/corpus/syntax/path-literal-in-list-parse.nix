[ ./a/b ../c ~/d /abs/path <nixpkgs> ]
