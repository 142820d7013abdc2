builtins.getContext (builtins.appendContext "x" { })
