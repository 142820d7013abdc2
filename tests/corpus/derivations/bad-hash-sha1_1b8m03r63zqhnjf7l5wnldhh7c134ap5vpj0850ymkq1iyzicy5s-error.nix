(derivation { name = "h"; system = "x"; builder = "/bin/sh"; outputHash = "sha1:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; }).outPath
