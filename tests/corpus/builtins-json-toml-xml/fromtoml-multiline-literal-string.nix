builtins.fromTOML "mll = '''\nraw \\n text\n'''\n"
