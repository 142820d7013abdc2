#!/usr/bin/env bash
# Times nixsharp (NativeAOT build) against nix-instantiate 2.8 on every workload in
# bench/workloads/ plus start-up (`-E 1`), and prints a Markdown table that is also
# written to bench/results/latest.md.
#
#   bash bench/run.sh                      # build, then benchmark everything
#   NIXSHARP=/path/to/nixsharp bash bench/run.sh   # skip the build, use this binary
#   RUNS=9 bash bench/run.sh attrs json    # more runs, only some workloads
set -euo pipefail
export LC_ALL=C  # EPOCHREALTIME and printf must use '.' as the decimal point

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
RESULTS="$BENCH/results"
RAW="$RESULTS/raw"  # per-run outputs, stderr and times, kept for inspection
RUNS="${RUNS:-5}"
mkdir -p "$RESULTS" "$RAW"

# GNU time gives the peak RSS of the child (getrusage's ru_maxrss) after it exits.
# Sampling VmHWM from /proc/PID/status would have to happen before the process exits,
# which races with short runs such as start-up, so we use GNU time for memory.
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

# --- build ------------------------------------------------------------------
if [ -z "${NIXSHARP:-}" ]; then
  echo "building nixsharp (NativeAOT, Release, linux-x64)..." >&2
  # --artifacts-path keeps obj/ and bin/ out of src/, so this build never shares
  # intermediate files with builds other people run in the source tree.
  if ! dotnet publish "$ROOT/src/Nixsharp.Cli" -c Release -r linux-x64 \
      --artifacts-path "$RESULTS/artifacts" -o "$RESULTS/bin" >"$RESULTS/publish.log" 2>&1; then
    echo "dotnet publish failed; output follows:" >&2
    cat "$RESULTS/publish.log" >&2
    exit 1
  fi
  NIXSHARP="$RESULTS/bin/nixsharp"
fi
[ -x "$NIXSHARP" ] || { echo "no nixsharp binary at $NIXSHARP" >&2; exit 1; }

NIX_VERSION="$(nix-instantiate --version)"
case "$NIX_VERSION" in *" 2.8."*) ;; *) echo "warning: expected Nix 2.8, found: $NIX_VERSION" >&2 ;; esac

# --- workloads: name and the arguments that follow `--eval --strict` --------------
declare -a NAMES=() ARGS=()
add() { NAMES+=("$1"); ARGS+=("$2"); }
add startup "-E 1"
for w in recursion attrs strings lists json fixpoint; do
  add "$w" "$BENCH/workloads/$w.nix"
done
if [ $# -gt 0 ]; then  # keep only the workloads named on the command line
  declare -a keepN=() keepA=()
  for i in "${!NAMES[@]}"; do
    for want in "$@"; do
      [ "${NAMES[$i]}" = "$want" ] && { keepN+=("${NAMES[$i]}"); keepA+=("${ARGS[$i]}"); }
    done
  done
  NAMES=("${keepN[@]}"); ARGS=("${keepA[@]}")
fi

# Both tools get the same clean environment: no search path, no usable home directory.
tool_cmd() {  # tool_cmd nix|nixsharp -> the command prefix for that tool
  case "$1" in
    nix) echo "nix-instantiate --eval --strict" ;;
    nixsharp) echo "$NIXSHARP instantiate --eval --strict" ;;
  esac
}

# run_once TOOL ARGS OUT ERR: runs one evaluation, prints "seconds rss_kib exit_code".
# Wall time comes from bash's EPOCHREALTIME (microseconds) rather than GNU time's %e,
# whose 10 ms resolution is too coarse for start-up; both tools pay the same small
# overhead of the /usr/bin/time wrapper.
run_once() {
  local tool="$1" args="$2" out="$3" err="$4" t0 t1 rc=0
  local rssfile="$RESULTS/.rss"
  t0=$EPOCHREALTIME
  # shellcheck disable=SC2046,SC2086  # word splitting of the command and args is intended
  env NIX_PATH= HOME=/homeless /usr/bin/time -o "$rssfile" -f "%M" \
    $(tool_cmd "$tool") $args >"$out" 2>"$err" || rc=$?
  t1=$EPOCHREALTIME
  # GNU time writes "Command exited with non-zero status N" before %M on failure.
  printf '%s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" \
    "$(tail -n 1 "$rssfile")" "$rc"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { sort -g | tail -n 1; }

TABLE="$RESULTS/.table"
NOTES="$RESULTS/.notes"
: >"$NOTES"
{
  echo "| workload | nix 2.8 median (s) | nixsharp median (s) | ratio (nixsharp/nix) | nix peak RSS (MiB) | nixsharp peak RSS (MiB) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
} >"$TABLE"

for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}" args="${ARGS[$i]}"
  echo "running $name..." >&2
  # Warm-up run of each tool (page cache, binary loading); its stdout is what we compare.
  for tool in nix nixsharp; do
    read -r _ _ rc < <(run_once "$tool" "$args" "$RAW/$name.$tool.out" "$RAW/$name.$tool.err")
    echo "$rc" >"$RAW/$name.$tool.rc"
  done
  # Timed runs alternate between the tools so drift in machine load hits both alike.
  : >"$RAW/$name.nix.times"; : >"$RAW/$name.nixsharp.times"
  for ((r = 0; r < RUNS; r++)); do
    for tool in nix nixsharp; do
      run_once "$tool" "$args" /dev/null /dev/null >>"$RAW/$name.$tool.times"
    done
  done

  nix_t=$(awk '{ print $1 }' "$RAW/$name.nix.times" | median)
  ns_t=$(awk '{ print $1 }' "$RAW/$name.nixsharp.times" | median)
  # Peak RSS: the largest of the timed runs, in MiB.
  nix_m=$(awk '{ print $2 }' "$RAW/$name.nix.times" | maxof)
  ns_m=$(awk '{ print $2 }' "$RAW/$name.nixsharp.times" | maxof)

  label="$name"
  nix_rc=$(cat "$RAW/$name.nix.rc") ns_rc=$(cat "$RAW/$name.nixsharp.rc")
  if ! cmp -s "$RAW/$name.nix.out" "$RAW/$name.nixsharp.out" || [ "$nix_rc" != "$ns_rc" ]; then
    label="$name (OUTPUT DIFFERS)"
    {
      echo
      echo "### $name: OUTPUT DIFFERS (exit codes: nix $nix_rc, nixsharp $ns_rc)"
      echo
      echo '```diff'
      diff -u --label nix --label nixsharp "$RAW/$name.nix.out" "$RAW/$name.nixsharp.out" | head -n 20 || true
      for tool in nix nixsharp; do
        if [ -s "$RAW/$name.$tool.err" ]; then
          echo "--- $tool stderr:"
          head -n 5 "$RAW/$name.$tool.err"
        fi
      done
      echo '```'
    } >>"$NOTES"
  fi
  awk -v l="$label" -v a="$nix_t" -v b="$ns_t" -v c="$nix_m" -v d="$ns_m" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.2f | %.1f | %.1f |\n", l, a, b, (a > 0 ? b / a : 0), c / 1024, d / 1024 }' >>"$TABLE"
done

{
  echo "# nixsharp vs $NIX_VERSION"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, median of $RUNS runs after one warm-up; peak RSS is the largest of those runs."
  echo
  cat "$TABLE"
  cat "$NOTES"
} | tee "$RESULTS/latest.md"
rm -f "$TABLE" "$NOTES" "$RESULTS/.rss"
