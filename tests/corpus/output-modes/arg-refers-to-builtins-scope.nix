{ n }: builtins.isFunction n
