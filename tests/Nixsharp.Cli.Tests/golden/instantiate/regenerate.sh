#!/usr/bin/env bash
# Regenerates the golden outputs of derivations.nix with the real Nix 2.8 (nix-instantiate on PATH).
set -euo pipefail
cd "$(dirname "$0")"
store=$(mktemp -d)
trap 'chmod -R u+w "$store"; rm -rf "$store"' EXIT
export NIX_PATH= HOME=/homeless
nix-instantiate --store "$store" derivations.nix > expected.out 2> expected.err
nix-instantiate --eval --strict --json -E \
  'builtins.mapAttrs (n: d: map (o: d.${o}.outPath) (d.outputs or [ "out" ])) (import ./derivations.nix)' > expected-outpaths.json
echo "regenerated: $(wc -l < expected.out) derivations"
