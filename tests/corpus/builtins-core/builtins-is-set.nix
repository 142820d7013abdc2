builtins.isAttrs builtins && builtins.builtins.builtins ? map
