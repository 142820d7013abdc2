builtins.typeOf builtins.import
