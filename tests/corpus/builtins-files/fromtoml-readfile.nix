builtins.fromTOML (builtins.readFile ./fixtures/data.toml)
