#!/usr/bin/env bash
# Recreates golden/drv/: .drv files written by real Nix 2.8 (nix-instantiate into a scratch store
# under a temporary directory, with /nix/store as the logical store directory) for a varied set of
# derivations. The derivation tests parse every file here and recompute its store path, so the
# dependencies of each derivation are kept too.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/drv"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A local source directory (its contents decide its store path, so keep them fixed).
mkdir -p "$tmp/src-dir/sub"
printf 'local source\n' > "$tmp/src-dir/README"
printf '#!/bin/sh\necho built\n' > "$tmp/src-dir/sub/build.sh"
chmod 755 "$tmp/src-dir/sub/build.sh"

cat > "$tmp/drvs.nix" <<'NIX'
let
  system = "x86_64-linux";
  mk = attrs: derivation ({ inherit system; builder = "/bin/sh"; } // attrs);
  # Control characters come from JSON escapes, as a .nix file cannot spell them.
  controls = builtins.fromJSON ''"bell\u0007 del\u007f esc\u001b nul-free"'';

  plain = mk { name = "plain"; args = [ "-c" "echo plain > $out" ]; };
  multi = mk { name = "multi"; outputs = [ "out" "dev" "doc" ]; args = [ "-c" "mkdir $out $dev $doc" ]; };
  fixedFlat = mk {
    name = "fixed-flat";
    outputHashMode = "flat"; outputHashAlgo = "sha256";
    outputHash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    args = [ "-c" "printf hello > $out" ];
  };
  # The same fixed output fetched another way: a different .drv with the same output path.
  fixedFlatAgain = mk {
    name = "fixed-flat";
    outputHashMode = "flat";
    outputHash = "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
    args = [ "-c" "echo -n hello > $out" ];
  };
  fixedRecursive = mk {
    name = "fixed-recursive";
    outputHashMode = "recursive"; outputHashAlgo = "sha256";
    outputHash = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";
    args = [ "-c" "mkdir $out" ];
  };
  fixedRecursiveSha1 = mk {
    name = "fixed-recursive-sha1";
    outputHashMode = "recursive"; outputHashAlgo = "sha1";
    outputHash = "0000000000000000000000000000000000000000";
  };
  fixedMd5 = mk {
    name = "fixed-md5"; outputHashAlgo = "md5";
    outputHash = "5d41402abc4b2a76b9719d911017c592";
  };
  fixedSha512 = mk {
    name = "fixed-sha512";
    outputHash = "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==";
  };
  script = builtins.toFile "build.sh" ''
    echo "building with ${"$"}out"
  '';
  withInputs = mk {
    name = "with-inputs";
    args = [ script "${plain}" "${multi.dev}" "${fixedFlat}" "${fixedRecursive}" "${./src-dir}" ];
    doc = multi.doc;
    src = ./src-dir/sub;
  };
  chain = mk { name = "chain"; deps = [ withInputs fixedFlatAgain multi ]; };
  tricky = mk {
    name = "tricky-strings";
    quotes = ''she said "hi" and \ left'';
    backslashes = "\\ \\\\ \\n \\\" \\t";
    newlines = "line1\nline2\n\nline4\n";
    tabs = "a\tb\t\tc";
    cr = "dos line\r\nend\r";
    unicode = "héllo wörld — ✓ 日本語 😀";
    inherit controls;
    "" = "empty name";
    "key with spaces" = "v";
    "a�" = "U+FFFD sorts before the emoji in byte order, after it in UTF-16 order";
    "a" = "private use, likewise";
    "a😀" = "emoji";
    "ключ" = "cyrillic key";
    args = [ "-c" "printf '%s\\n' \"$quotes\"" "" "tab\there" "new\nline" "😀" ];
  };
  structured = mk {
    name = "structured";
    __structuredAttrs = true;
    outputs = [ "out" "bin" ];
    list = [ 1 2.5 "three" null true { nested = "x\"y"; } ];
    text = "multi\nline \"quoted\" ✓";
    dep = plain;
  };
  passAsFile = mk {
    name = "pass-as-file";
    passAsFile = [ "big" "other" ];
    big = builtins.concatStringsSep "\n" (builtins.genList (i: "line ${toString i}") 50);
    other = "x";
  };
  builtinBuilder = derivation {
    name = "builtin-builder"; inherit system;
    builder = "builtin:buildenv";
    manifest = script;
  };
in [ plain multi fixedFlat fixedFlatAgain fixedRecursive fixedRecursiveSha1 fixedMd5 fixedSha512
     withInputs chain tricky structured passAsFile builtinBuilder ]
NIX

# (nix-instantiate warns that no GC root was asked for; nothing here needs one.)
NIX_PATH= nix-instantiate --store "$tmp/store" "$tmp/drvs.nix" >/dev/null
rm -f "$out"/*.drv
mkdir -p "$out"
cp "$tmp"/store/nix/store/*.drv "$out/"
chmod 644 "$out"/*.drv
ls "$out"
