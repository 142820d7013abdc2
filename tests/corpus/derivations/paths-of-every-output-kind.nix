let
  a = derivation { name = "a"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo a > $out" ]; };
  f = derivation { name = "src.tar"; system = "x86_64-linux"; builder = "/bin/sh"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; outputHashMode = "flat"; };
  fr = derivation { name = "src2"; system = "x86_64-linux"; builder = "/bin/sh"; outputHash = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; outputHashAlgo = "sha256"; outputHashMode = "recursive"; };
  m = derivation { name = "multi"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" "lib" ]; dep = a; src = f; s2 = fr; p = ./corepkgs-fetchurl.nix; extra = [ 1 true null 1.5 ]; };
  s = derivation { name = "structured"; system = "x86_64-linux"; builder = "/bin/sh"; __structuredAttrs = true; deps = [ a m.dev ]; n = 3; o = { x = "y"; }; };
in [ a.drvPath a.outPath f.outPath f.drvPath fr.outPath m.drvPath m.dev.outPath m.lib m.out.outPath s.drvPath s.outPath ]
