#!/usr/bin/env bash
# Times `nixsharp build` against `nix-build` 2.8 in one run, both sandboxed with /bin/sh from
# busybox and building into scratch chroot stores: 200 independent trivial derivations into a
# fresh store (with --max-jobs 2, and with 1), a chain of 50 dependent derivations, and building
# the 200 again when they are already there (nothing to do). Prints a Markdown table (also
# written to bench/results/build.md) with median times, the ratio and peak RSS.
#
#   bash bench/build.sh                              # build nixsharp (NativeAOT), then run
#   NIXSHARP=bench/results/bin/nixsharp bash bench/build.sh   # reuse a binary
#   RUNS=3 bash bench/build.sh indep200 noop200      # fewer runs, some workloads
set -euo pipefail
export LC_ALL=C

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
RESULTS="$BENCH/results"
DATA="$RESULTS/build-data"
SCRATCH="$RESULTS/build-scratch"   # fresh for every run of the fresh-store workloads
RUNS="${RUNS:-5}"
mkdir -p "$RESULTS" "$DATA"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
[ -x /bin/busybox ] || { apt-get update -qq && apt-get install -y -qq busybox-static >/dev/null; }
command -v bwrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; }

# shellcheck source=bench/common.sh
source "$BENCH/common.sh"
nixsharp_binary
NS="$NIXSHARP"

# --- inputs -------------------------------------------------------------------------------
cat >"$DATA/indep200.nix" <<'NIX'
# 200 derivations that depend on nothing: how fast builds start, run and are registered.
builtins.genList (i: derivation {
  name = "indep${toString i}"; system = "x86_64-linux"; builder = "/bin/sh";
  args = [ "-c" "echo ${toString i} > $out" ];
}) 200
NIX
cat >"$DATA/chain50.nix" <<'NIX'
# 50 derivations, each reading the one before: one build at a time, each waiting for the last.
let
  step = i: prev: derivation {
    name = "chain${toString i}"; system = "x86_64-linux"; builder = "/bin/sh";
    args = [ "-c" "{ ${if prev == null then "" else "cat ${prev};"} echo ${toString i}; } > $out" ];
  };
  go = i: prev: if i == 50 then prev else go (i + 1) (step i prev);
in go 0 null
NIX

# Both sandboxed, /bin/sh from busybox, nothing substituted.
COMMON="--option sandbox true --option sandbox-paths /bin/sh=/bin/busybox --option substituters '' --no-out-link"
NIX_NOOP="$RESULTS/build-noop-nix"   # stores built once by the warm-up run, then rebuilt
NS_NOOP="$RESULTS/build-noop-ns"

# --- workloads: name, nix command, nixsharp command, per-run setup ---------------------------
declare -a NAMES=() NIXC=() NSC=() SETUP=()
add() { NAMES+=("$1"); NIXC+=("$2"); NSC+=("$3"); SETUP+=("${4:-}"); }
add indep200    "nix-build --store $SCRATCH $COMMON --max-jobs 2 $DATA/indep200.nix" \
                "$NS build --store $SCRATCH $COMMON --max-jobs 2 $DATA/indep200.nix" fresh
add indep200-j1 "nix-build --store $SCRATCH $COMMON --max-jobs 1 $DATA/indep200.nix" \
                "$NS build --store $SCRATCH $COMMON --max-jobs 1 $DATA/indep200.nix" fresh
add chain50     "nix-build --store $SCRATCH $COMMON --max-jobs 2 $DATA/chain50.nix" \
                "$NS build --store $SCRATCH $COMMON --max-jobs 2 $DATA/chain50.nix" fresh
add noop200     "nix-build --store $NIX_NOOP $COMMON --max-jobs 2 $DATA/indep200.nix" \
                "$NS build --store $NS_NOOP $COMMON --max-jobs 2 $DATA/indep200.nix" noop
if [ $# -gt 0 ]; then
  declare -a kN=() kA=() kB=() kS=()
  for i in "${!NAMES[@]}"; do for w in "$@"; do [ "${NAMES[$i]}" = "$w" ] && { kN+=("${NAMES[$i]}"); kA+=("${NIXC[$i]}"); kB+=("${NSC[$i]}"); kS+=("${SETUP[$i]}"); }; done; done
  NAMES=("${kN[@]}"); NIXC=("${kA[@]}"); NSC=("${kB[@]}"); SETUP=("${kS[@]}")
fi

wipe() { chmod -R u+w "$1" 2>/dev/null || true; rm -rf "$1"; }
wipe "$NIX_NOOP"; wipe "$NS_NOOP"

# run_once CMD SETUP OUT -> "seconds rss_kib rc"; the times include nothing but the command.
run_once() {
  local cmd="$1" setup="$2" out="$3" t0 t1 rc=0
  [ "$setup" = fresh ] && wipe "$SCRATCH"
  t0=$EPOCHREALTIME
  # eval: the substituters option's empty value is quoted in COMMON.
  eval "env NIX_PATH= HOME=/homeless /usr/bin/time -o '$RESULTS/.rss' -f %M $cmd" </dev/null >"$out" 2>"$out.err" || rc=$?
  t1=$EPOCHREALTIME
  printf '%s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" "$(tail -n 1 "$RESULTS/.rss")" "$rc"
}

TABLE="| workload | nix 2.8 median (s) | nixsharp median (s) | ratio (nixsharp/nix) | nix peak RSS (MiB) | nixsharp peak RSS (MiB) | same output |
| --- | ---: | ---: | ---: | ---: | ---: | --- |"
failed=0
for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}"
  echo "running $name..." >&2
  : >"$RESULTS/.nix.times"; : >"$RESULTS/.ns.times"
  # The warm-up: its output is what is compared (and for noop200 it fills the stores).
  w1=$(run_once "${NIXC[$i]}" "${SETUP[$i]}" "$RESULTS/.nix.out")
  w2=$(run_once "${NSC[$i]}" "${SETUP[$i]}" "$RESULTS/.ns.out")
  same=yes; cmp -s "$RESULTS/.nix.out" "$RESULTS/.ns.out" || same=NO
  for w in "$w1" "$w2"; do [ "${w##* }" = 0 ] || same="FAILED (exit ${w##* })"; done
  if [ "$same" != yes ]; then
    failed=1
    echo "$name: $same; stderr of nix-build and nixsharp follow" >&2
    tail -n 5 "$RESULTS/.nix.out.err" "$RESULTS/.ns.out.err" >&2
  fi
  for ((r = 0; r < RUNS; r++)); do
    run_once "${NIXC[$i]}" "${SETUP[$i]}" /dev/null >>"$RESULTS/.nix.times"
    run_once "${NSC[$i]}" "${SETUP[$i]}" /dev/null >>"$RESULTS/.ns.times"
  done
  a=$(awk '{print $1}' "$RESULTS/.nix.times" | median); b=$(awk '{print $1}' "$RESULTS/.ns.times" | median)
  c=$(awk '{print $2}' "$RESULTS/.nix.times" | sort -g | tail -1); d=$(awk '{print $2}' "$RESULTS/.ns.times" | sort -g | tail -1)
  TABLE+=$'\n'$(awk -v l="$name" -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v s="$same" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.2f | %.1f | %.1f | %s |", l, a, b, b / a, c / 1024, d / 1024, s }')
done
wipe "$SCRATCH"; wipe "$NIX_NOOP"; wipe "$NS_NOOP"
{
  echo "# nixsharp build vs $(nix-build --version)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, median of $RUNS runs after one warm-up each; peak RSS is the largest run."
  echo
  echo "$TABLE"
} | tee "$RESULTS/build.md"
rm -f "$RESULTS"/.nix.* "$RESULTS"/.ns.* "$RESULTS/.rss"
exit "$failed"
