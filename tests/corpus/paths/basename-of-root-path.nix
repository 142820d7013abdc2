builtins.baseNameOf /.
