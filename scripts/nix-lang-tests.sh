#!/usr/bin/env bash
# Runs Nix's own language tests (a fetched copy; never committed) against an evaluator command.
#   scripts/nix-lang-tests.sh LANG_DIR COMMAND...
#   LANG_DIR: Nix 2.8's tests/lang, or current Nix's tests/functional/lang
#   COMMAND:  nix-instantiate, or e.g. "bench/results/bin/nixsharp instantiate"
# A test passes when it fails or succeeds as its name says and, for eval-okay and parse-okay,
# its output equals the .exp (or .exp.xml) file. Error texts (.err.exp) are not compared, so the
# count is the same measure for Nix 2.8 and for nixsharp. Prints failures and "N of M passed".
set -uo pipefail
langdir=$(cd "$1" && pwd); shift
cmd=("$@")
cd "$langdir/.."
export TEST_VAR=foo NIX_REMOTE=dummy:// NIX_STORE_DIR=/nix/store
pass=0; total=0; failed=()
out=$(mktemp); trap 'rm -f "$out"' EXIT

run() { timeout 60 "${cmd[@]}" "$@"; }

for f in lang/parse-fail-*.nix; do
  [ -e "$f" ] || continue; total=$((total+1))
  if run --parse - < "$f" >/dev/null 2>&1; then failed+=("$f (parsed)"); else pass=$((pass+1)); fi
done
for f in lang/parse-okay-*.nix; do
  [ -e "$f" ] || continue; total=$((total+1)); i=${f%.nix}
  if run --parse - < "$f" > "$out" 2>/dev/null; then
    sed -i "s!$(pwd)!/pwd!g" "$out"
    if [ -e "$i.exp" ] && ! cmp -s "$out" "$i.exp"; then failed+=("$f (output)"); else pass=$((pass+1)); fi
  else failed+=("$f (did not parse)"); fi
done
for f in lang/eval-fail-*.nix; do
  [ -e "$f" ] || continue; total=$((total+1)); i=${f%.nix}
  flags="--eval --strict --show-trace"
  [ -e "$i.flags" ] && flags=$(sed -e 's/#.*//' < "$i.flags")
  # shellcheck disable=SC2086
  if run $flags "$f" >/dev/null 2>&1; then failed+=("$f (evaluated)"); else pass=$((pass+1)); fi
done
for f in lang/eval-okay-*.nix; do
  [ -e "$f" ] || continue; i=${f%.nix}
  [ -e "$i.exp" ] || [ -e "$i.exp.xml" ] || continue
  total=$((total+1)); ok=1
  if [ -e "$i.exp" ]; then
    flags=(); [ -e "$i.flags" ] && read -r -a flags < "$i.flags"
    if NIX_PATH=lang/dir3:lang/dir4 HOME=/fake-home run "${flags[@]}" --eval --strict "$f" > "$out" 2>/dev/null; then
      sed -i "s!$(pwd)!/pwd!g" "$out"
      cmp -s "$out" "$i.exp" || { ok=0; failed+=("$f (output)"); }
    else ok=0; failed+=("$f (failed)"); fi
  fi
  if [ "$ok" = 1 ] && [ -e "$i.exp.xml" ]; then
    if run --eval --xml --no-location --strict "$f" > "$out" 2>/dev/null; then
      cmp -s "$out" "$i.exp.xml" || { ok=0; failed+=("$f (xml output)"); }
    else ok=0; failed+=("$f (xml failed)"); fi
  fi
  [ "$ok" = 1 ] && pass=$((pass+1))
done
for x in "${failed[@]}"; do echo "FAIL: $x"; done
echo "$pass of $total passed"
