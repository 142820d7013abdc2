"system: ${builtins.currentSystem}"
