let mk = h: a: (derivation ({ name = "h"; system = "x"; builder = "/bin/sh"; outputHash = h; } // (if a == null then { } else { outputHashAlgo = a; }))).outPath;
in [
  (mk "sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s" null)
  (mk "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "sha256")
  (mk "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" "sha256")
  (mk "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=" null)
  (mk "d41d8cd98f00b204e9800998ecf8427e" "md5")
]
