#!/usr/bin/env bash
# Regenerate the golden files of the Nix differential corpus with the real
# Nix 2.8 (`nix-instantiate` must be on PATH).
#
# For every tests/corpus/<area>/<name>.nix (directories named `fixtures`
# are skipped):
#   - cwd is <area>; the command is
#       nix-instantiate <flags> <name>.nix
#     where <flags> is the first line of <name>.flags if it exists,
#     otherwise `--eval --strict`;
#   - environment: NIX_PATH= (empty) and HOME=/homeless;
#   - exit code 0: stdout -> <name>.exp, and stderr -> <name>.stderr when
#     stderr is non-empty;
#   - non-zero exit: stderr -> <name>.err (no .exp is written);
#   - every occurrence of the absolute corpus directory is replaced by the
#     token @CORPUS@ in all golden files.
#
# Usage: tests/corpus/regenerate.sh [case.nix ...]   (default: all cases)
set -u
corpus="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
export NIX_PATH=
export HOME=/homeless

if [ "$#" -gt 0 ]; then
  cases=()
  for c in "$@"; do cases+=("$(cd "$(dirname "$c")" && pwd -P)/$(basename "$c")"); done
else
  mapfile -t cases < <(find "$corpus" -name fixtures -prune -o -type f -name '*.nix' -print | LC_ALL=C sort)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Replace the corpus path by @CORPUS@ (literal, no regex interpretation).
subst() {
  CORPUS_DIR="$corpus" perl -pe 'BEGIN { $c = $ENV{CORPUS_DIR}; } s/\Q$c\E/\@CORPUS\@/g' "$1" > "$2"
}

n=0; ok=0; fail=0
for f in "${cases[@]}"; do
  dir="$(dirname "$f")"; name="$(basename "$f" .nix)"
  flags="--eval --strict"
  if [ -f "$dir/$name.flags" ]; then flags="$(head -n 1 "$dir/$name.flags")"; fi
  rm -f "$dir/$name.exp" "$dir/$name.err" "$dir/$name.stderr"
  # Flags are deliberately word-split, but never glob-expanded
  # (e.g. `--arg xs [(1)(2)]`).
  # shellcheck disable=SC2086
  (set -f; cd "$dir" && nix-instantiate $flags "$name.nix" >"$tmp/out" 2>"$tmp/err" </dev/null)
  rc=$?
  n=$((n + 1))
  if [ "$rc" -eq 0 ]; then
    ok=$((ok + 1))
    subst "$tmp/out" "$dir/$name.exp"
    if [ -s "$tmp/err" ]; then subst "$tmp/err" "$dir/$name.stderr"; fi
  else
    fail=$((fail + 1))
    subst "$tmp/err" "$dir/$name.err"
  fi
done
echo "regenerated $n cases: $ok succeeded (.exp), $fail failed (.err)"
