{ "key with space" = "v"; "ünï" = [ "\${x}" ]; }
