builtins.getEnv "NIX_PATH"
