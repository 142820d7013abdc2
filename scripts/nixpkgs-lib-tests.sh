#!/usr/bin/env bash
# Runs nixpkgs lib's own tests (a fetched copy; never committed) with an evaluator command
# standing in for nix-instantiate:
#   scripts/nixpkgs-lib-tests.sh CHECKOUT COMMAND...
#   CHECKOUT: a tree with lib/ at its top (nixpkgs, or a nixpkgs.lib mirror)
#   COMMAND:  nix-instantiate, or e.g. "bench/results/bin/nixsharp instantiate"
# misc.nix imports the nixpkgs root for `hello`; in a lib-only checkout a stand-in root with a
# real (never built) `hello` derivation is written, so no test is skipped.
set -uo pipefail
root=$(cd "$1" && pwd); shift
wrap=$(mktemp -d); trap 'rm -rf "$wrap"' EXIT
# Resolve the program first: the wrapper is itself called nix-instantiate.
prog=$(command -v "$1"); shift
printf '#!/bin/sh\nexec %s %s "$@"\n' "$prog" "$*" > "$wrap/nix-instantiate"
chmod +x "$wrap/nix-instantiate"
if [ ! -e "$root/default.nix" ]; then
  cat > "$root/default.nix" <<'NIX'
# Stand-in for the nixpkgs root in a lib-only checkout: lib/tests/misc.nix only needs `hello`.
{ system ? builtins.currentSystem, ... }: {
  hello = derivation { name = "hello-2.12"; inherit system; builder = "/bin/sh"; args = [ "-c" "echo hello > $out" ]; };
}
NIX
fi
cd "$root"
echo "== lib/tests/misc.nix ($(grep -cE "^  test[A-Za-z0-9_']* =" lib/tests/misc.nix) tests)"
misc=$(NIX_PATH= PATH="$wrap:$PATH" nix-instantiate --eval --strict lib/tests/misc.nix 2>/dev/null)
echo "result: $misc"
echo "== lib/tests/modules.sh"
PATH="$wrap:$PATH" bash lib/tests/modules.sh 2>&1 | tail -3
