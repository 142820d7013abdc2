builtins.unsafeDiscardOutputDependency "abc"
