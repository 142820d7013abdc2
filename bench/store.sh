#!/usr/bin/env bash
# Times nixsharp's store against Nix 2.8's (nix-store, nix-instantiate, nix-hash) on the same
# data in one run: dumping and hashing a 200 MB tree of 4 000 files, adding it to a fresh store,
# instantiating 2 000 derivations into a fresh store, `query --requisites` of a 16 000-path
# closure, and exporting/importing that closure. Prints a Markdown table (also written to
# bench/results/store.md) with median times, the ratio and peak RSS.
#
#   bash bench/store.sh                              # build nixsharp (NativeAOT), then run
#   NIXSHARP=bench/results/bin/nixsharp bash bench/store.sh   # reuse a binary
#   RUNS=3 bash bench/store.sh add200 req16k         # fewer runs, some workloads
set -euo pipefail
export LC_ALL=C

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
RESULTS="$BENCH/results"
DATA="$RESULTS/store-data"   # generated inputs, kept between runs
SCRATCH="$RESULTS/store-scratch"
RUNS="${RUNS:-5}"
mkdir -p "$RESULTS" "$DATA"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

# shellcheck source=bench/common.sh
source "$BENCH/common.sh"
nixsharp_binary
NS="$NIXSHARP"

# --- inputs -------------------------------------------------------------------------------
TREE="$DATA/tree200"
if [ ! -f "$DATA/tree200.done" ]; then
  echo "generating a 200 MB tree of 4 000 files..." >&2
  rm -rf "$TREE"; mkdir -p "$TREE"
  for d in $(seq 0 39); do
    mkdir -p "$TREE/dir$d"
    for f in $(seq 0 99); do
      head -c 52428 /dev/urandom >"$TREE/dir$d/file$f"
    done
  done
  touch "$DATA/tree200.done"
fi

cat >"$DATA/drvs2000.nix" <<'NIX'
# 2 000 derivations; each depends on the previous one and on a text file of its own.
let
  mk = i: prev: derivation {
    name = "d${toString i}"; system = "x86_64-linux"; builder = "/bin/sh";
    args = [ "-c" "echo ${toString i} > $out" ];
    inherit prev;
    txt = builtins.toFile "t${toString i}" "text ${toString i}";
  };
  go = i: prev: if i == 2000 then prev else go (i + 1) (mk i prev);
in go 0 ""
NIX

# A 16 000-path closure: 8 000 derivations, each with its own text file, each referring to the
# previous one and to the one at half its index (so the graph is not a plain chain).
cat >"$DATA/closure16k.nix" <<'NIX'
let
  n = 8000;
  drvs = builtins.genList (i: derivation {
    name = "c${toString i}"; system = "x86_64-linux"; builder = "/bin/sh";
    prev = if i == 0 then "" else builtins.elemAt drvs (i - 1);
    half = if i < 2 then "" else builtins.elemAt drvs (i / 2);
    txt = builtins.toFile "c${toString i}.txt" "closure ${toString i}";
  }) n;
in builtins.elemAt drvs (n - 1)
NIX
CLOSURE_STORE="$DATA/closure-store"
if [ ! -f "$DATA/closure.done" ]; then
  echo "instantiating the 16 000-path closure (with Nix)..." >&2
  rm -rf "$CLOSURE_STORE"
  NIX_PATH= nix-instantiate --store "$CLOSURE_STORE" "$DATA/closure16k.nix" >"$DATA/closure.top" 2>/dev/null
  nix-store --store "$CLOSURE_STORE" --export $(nix-store --store "$CLOSURE_STORE" -qR $(cat "$DATA/closure.top")) >"$DATA/closure.export"
  touch "$DATA/closure.done"
fi
TOP=$(cat "$DATA/closure.top")
echo "closure size: $(nix-store --store "$CLOSURE_STORE" -qR "$TOP" | wc -l) paths" >&2

# --- workloads: name, nix command, nixsharp command, per-run setup ---------------------------
declare -a NAMES=() NIXC=() NSC=() SETUP=()
add() { NAMES+=("$1"); NIXC+=("$2"); NSC+=("$3"); SETUP+=("${4:-}"); }
add dump200   "nix-store --dump $TREE"                   "$NS store dump $TREE"
add hash200   "nix-hash --type sha256 $TREE"             "$NS hash path --base16 $TREE"
add add200    "nix-store --store $SCRATCH --add $TREE"   "$NS store add --store $SCRATCH $TREE"   fresh
add inst2000  "nix-instantiate --store $SCRATCH $DATA/drvs2000.nix" "$NS instantiate --store $SCRATCH $DATA/drvs2000.nix" fresh
add req16k    "nix-store --store $CLOSURE_STORE -qR $TOP" "$NS store query --store $CLOSURE_STORE -R $TOP"
add export16k "nix-store --store $CLOSURE_STORE --export $(nix-store --store "$CLOSURE_STORE" -qR "$TOP" | tr '\n' ' ')" \
              "$NS store export --store $CLOSURE_STORE $(nix-store --store "$CLOSURE_STORE" -qR "$TOP" | tr '\n' ' ')"
add import16k "nix-store --store $SCRATCH --import" "$NS store import --store $SCRATCH" fresh-stdin
if [ $# -gt 0 ]; then
  declare -a kN=() kA=() kB=() kS=()
  for i in "${!NAMES[@]}"; do for w in "$@"; do [ "${NAMES[$i]}" = "$w" ] && { kN+=("${NAMES[$i]}"); kA+=("${NIXC[$i]}"); kB+=("${NSC[$i]}"); kS+=("${SETUP[$i]}"); }; done; done
  NAMES=("${kN[@]}"); NIXC=("${kA[@]}"); NSC=("${kB[@]}"); SETUP=("${kS[@]}")
fi

fresh() { chmod -R u+w "$SCRATCH" 2>/dev/null || true; rm -rf "$SCRATCH"; }

# run_once CMD SETUP OUT -> "seconds rss_kib rc"
run_once() {
  local cmd="$1" setup="$2" out="$3" t0 t1 rc=0 input=/dev/null
  [ -n "$setup" ] && fresh
  # Flush the previous run's dirty pages first, so that neither tool pays for the other's writeback.
  sync
  [ "$setup" = fresh-stdin ] && input="$DATA/closure.export"
  t0=$EPOCHREALTIME
  # shellcheck disable=SC2086
  env NIX_PATH= HOME=/homeless /usr/bin/time -o "$RESULTS/.rss" -f "%M" $cmd <"$input" >"$out" 2>"$out.err" || rc=$?
  t1=$EPOCHREALTIME
  printf '%s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" "$(tail -n 1 "$RESULTS/.rss")" "$rc"
}

TABLE="| workload | nix 2.8 median (s) | nixsharp median (s) | ratio (nixsharp/nix) | nix peak RSS (MiB) | nixsharp peak RSS (MiB) | same output |
| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}"
  echo "running $name..." >&2
  : >"$RESULTS/.nix.times"; : >"$RESULTS/.ns.times"
  run_once "${NIXC[$i]}" "${SETUP[$i]}" "$RESULTS/.nix.out" >/dev/null
  run_once "${NSC[$i]}" "${SETUP[$i]}" "$RESULTS/.ns.out" >/dev/null
  same=yes; cmp -s "$RESULTS/.nix.out" "$RESULTS/.ns.out" || same=NO
  for ((r = 0; r < RUNS; r++)); do
    run_once "${NIXC[$i]}" "${SETUP[$i]}" /dev/null >>"$RESULTS/.nix.times"
    run_once "${NSC[$i]}" "${SETUP[$i]}" /dev/null >>"$RESULTS/.ns.times"
  done
  a=$(awk '{print $1}' "$RESULTS/.nix.times" | median); b=$(awk '{print $1}' "$RESULTS/.ns.times" | median)
  c=$(awk '{print $2}' "$RESULTS/.nix.times" | sort -g | tail -1); d=$(awk '{print $2}' "$RESULTS/.ns.times" | sort -g | tail -1)
  TABLE+=$'\n'$(awk -v l="$name" -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v s="$same" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.2f | %.1f | %.1f | %s |", l, a, b, b / a, c / 1024, d / 1024, s }')
done
fresh
{
  echo "# nixsharp store vs $(nix-store --version)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, median of $RUNS runs after one warm-up each; peak RSS is the largest run."
  echo
  echo "$TABLE"
} | tee "$RESULTS/store.md"
rm -f "$RESULTS"/.nix.* "$RESULTS"/.ns.* "$RESULTS/.rss"
