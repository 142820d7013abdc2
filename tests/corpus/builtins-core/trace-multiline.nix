builtins.trace "a\nb" null
