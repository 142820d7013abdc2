# Non-ASCII text in a derivation's attributes: the .drv is UTF-8, and its path hashes those bytes.
let
  d = derivation {
    name = "t";
    system = "x86_64-linux";
    builder = "/bin/sh";
    u = "héllo wörld ✓ 😀";
    "ключ" = "значение";
    args = [ "-c" "echo ünïcode" ];
  };
in { inherit (d) drvPath outPath; }
