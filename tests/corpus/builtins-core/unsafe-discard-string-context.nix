builtins.unsafeDiscardStringContext "abc"
