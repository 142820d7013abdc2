builtins.hasContext (builtins.unsafeDiscardStringContext "abc")
