#!/usr/bin/env bash
# Times `nixsharp copy` against Nix 2.8's `nix copy` on the same source store in one run: copying
# a 200 MB, 4 000-file path to a fresh store over SSH on loopback (a private sshd) and into a
# fresh file:// binary cache (xz and zstd), the no-op copy when the destination has everything,
# and nixsharp's peak memory for a 50 MB vs the 200 MB tree. Prints a Markdown table (also written
# to bench/results/copy.md) with median times, the ratio and peak RSS.
#
#   bash bench/copy.sh                              # build nixsharp (NativeAOT), then run
#   NIXSHARP=bench/results/bin/nixsharp bash bench/copy.sh   # reuse a binary
#   RUNS=3 bash bench/copy.sh ssh200 noop           # fewer runs, some workloads
#   RUNS=3 XZ_RUNS=0 bash bench/copy.sh             # the xz row from its warm-up runs only
set -euo pipefail
export LC_ALL=C

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
RESULTS="$BENCH/results"
DATA="$RESULTS/store-data"   # generated inputs, shared with store.sh and kept between runs
SCRATCH="$RESULTS/copy-scratch"
RUNS="${RUNS:-5}"
# Timed runs for the xz row (each copy takes minutes at Nix's preset); 0 reports the warm-up runs.
XZ_RUNS="${XZ_RUNS:-$RUNS}"
mkdir -p "$RESULTS" "$DATA"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
[ -x /usr/sbin/sshd ] || { apt-get update -qq && apt-get install -y -qq openssh-server >/dev/null; }

# shellcheck source=bench/common.sh
source "$BENCH/common.sh"
nixsharp_binary
NS="$(cd "$(dirname "$NIXSHARP")" && pwd)/$(basename "$NIXSHARP")"
NIX_STORE="$(command -v nix-store)"
NIXCOPY="nix copy --extra-experimental-features nix-command --option substituters ''"

# --- inputs (the 200 MB tree is store.sh's; generated the same way when missing) --------------
TREE="$DATA/tree200"
if [ ! -f "$DATA/tree200.done" ]; then
  echo "generating a 200 MB tree of 4 000 files..." >&2
  rm -rf "$TREE"; mkdir -p "$TREE"
  for d in $(seq 0 39); do
    mkdir -p "$TREE/dir$d"
    for f in $(seq 0 99); do head -c 52428 /dev/urandom >"$TREE/dir$d/file$f"; done
  done
  touch "$DATA/tree200.done"
fi
TREE50="$DATA/tree50"   # the first 10 of its 40 directories: 50 MB, 1 000 files
if [ ! -f "$DATA/tree50.done" ]; then
  rm -rf "$TREE50"; mkdir -p "$TREE50"
  for d in $(seq 0 9); do cp -r "$TREE/dir$d" "$TREE50/"; done
  touch "$DATA/tree50.done"
fi

rw_rm() { chmod -R u+w "$@" 2>/dev/null || true; rm -rf "$@"; }
rw_rm "$SCRATCH"; mkdir -p "$SCRATCH"
SRC="$SCRATCH/src"   # the source store both tools copy from
echo "adding the trees to the source store..." >&2
P200=$(nix-store --store "$SRC" --add "$TREE")
P50=$(nix-store --store "$SRC" --add "$TREE50")

# --- a private sshd on 127.0.0.1 (as tests/Nixsharp.Cli.Tests/LoopbackSshd.cs sets it up) -------
SSHDIR="$RESULTS/copy-sshd"
rm -rf "$SSHDIR"; mkdir -p "$SSHDIR"
ssh-keygen -q -t ed25519 -N '' -C nixsharp-bench -f "$SSHDIR/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C nixsharp-bench -f "$SSHDIR/client_ed25519"
cp "$SSHDIR/client_ed25519.pub" "$SSHDIR/authorized_keys"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "[127.0.0.1]:$PORT $(cat "$SSHDIR/host_ed25519.pub")" >"$SSHDIR/known_hosts"
mkdir -p /run/sshd
USER_NAME="$(id -un)"
cat >"$SSHDIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $SSHDIR/host_ed25519
PidFile $SSHDIR/sshd.pid
AuthorizedKeysFile $SSHDIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers $USER_NAME
StrictModes no
UsePAM no
SetEnv PATH=$PATH
EOF
HOST=nixsharp-bench-host
cat >"$SSHDIR/ssh_config" <<EOF
Host $HOST
  HostName 127.0.0.1
  Port $PORT
  User $USER_NAME
  IdentityFile $SSHDIR/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSHDIR/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
export NIX_SSHOPTS="-F $SSHDIR/ssh_config"
/usr/sbin/sshd -D -e -f "$SSHDIR/sshd_config" 2>"$SSHDIR/sshd.log" &
SSHD_PID=$!
cleanup() { kill "$SSHD_PID" 2>/dev/null || true; wait "$SSHD_PID" 2>/dev/null || true; rw_rm "$SCRATCH"; rm -f "$RESULTS"/.cnix.* "$RESULTS"/.cns.* "$RESULTS/.crss"; }
trap cleanup EXIT
for _ in $(seq 100); do
  ssh -F "$SSHDIR/ssh_config" "$HOST" true 2>/dev/null && break
  kill -0 "$SSHD_PID" 2>/dev/null || { cat "$SSHDIR/sshd.log" >&2; exit 1; }
  sleep 0.1
done
ssh -F "$SSHDIR/ssh_config" "$HOST" true || { echo "cannot reach the loopback sshd" >&2; cat "$SSHDIR/sshd.log" >&2; exit 1; }

# --- workloads: name, nix command, nixsharp command, destination kind, path ------------------
DST="$SCRATCH/dst"           # fresh before every run
NOOP="$SCRATCH/noop"         # filled once; both tools copy into it again
REMOTE_NIX="remote-program=$NIX_STORE"
REMOTE_NS="remote-program=${NS// /%20}%20store%20serve"
declare -a NAMES=() NIXC=() NSC=() KIND=() PATHS=()
add() { NAMES+=("$1"); NIXC+=("$2"); NSC+=("$3"); KIND+=("$4"); PATHS+=("$5"); }
add ssh200      "$NIXCOPY --store $SRC --to ssh://$HOST?remote-store=$DST&$REMOTE_NIX $P200" \
                "$NS copy --store $SRC --to ssh://$HOST?remote-store=$DST&$REMOTE_NIX $P200" ssh "$P200"
add ssh200-nsremote "$NIXCOPY --store $SRC --to ssh://$HOST?remote-store=$DST&$REMOTE_NIX $P200" \
                "$NS copy --store $SRC --to ssh://$HOST?remote-store=$DST&$REMOTE_NS $P200" ssh "$P200"
add ssh50       "$NIXCOPY --store $SRC --to ssh://$HOST?remote-store=$DST&$REMOTE_NIX $P50" \
                "$NS copy --store $SRC --to ssh://$HOST?remote-store=$DST&$REMOTE_NIX $P50" ssh "$P50"
add noop        "$NIXCOPY --store $SRC --to ssh://$HOST?remote-store=$NOOP&$REMOTE_NIX $P200" \
                "$NS copy --store $SRC --to ssh://$HOST?remote-store=$NOOP&$REMOTE_NIX $P200" noop "$P200"
add file200-zstd "$NIXCOPY --store $SRC --to file://$DST?compression=zstd $P200" \
                 "$NS copy --store $SRC --to file://$DST?compression=zstd $P200" file "$P200"
add file200-none "$NIXCOPY --store $SRC --to file://$DST?compression=none $P200" \
                 "$NS copy --store $SRC --to file://$DST?compression=none $P200" file "$P200"
add file200-xz  "$NIXCOPY --store $SRC --to file://$DST?compression=xz $P200" \
                "$NS copy --store $SRC --to file://$DST?compression=xz $P200" file "$P200"
if [ $# -gt 0 ]; then
  declare -a kN=() kA=() kB=() kK=() kP=()
  for i in "${!NAMES[@]}"; do for w in "$@"; do [ "${NAMES[$i]}" = "$w" ] && { kN+=("${NAMES[$i]}"); kA+=("${NIXC[$i]}"); kB+=("${NSC[$i]}"); kK+=("${KIND[$i]}"); kP+=("${PATHS[$i]}"); }; done; done
  NAMES=("${kN[@]}"); NIXC=("${kA[@]}"); NSC=("${kB[@]}"); KIND=("${kK[@]}"); PATHS=("${kP[@]}")
fi
for k in "${KIND[@]}"; do
  if [ "$k" = noop ]; then
    echo "filling the no-op destination..." >&2
    eval "$NIXCOPY --store $SRC --to 'ssh://$HOST?remote-store=$NOOP&$REMOTE_NIX' $P200"
    break
  fi
done

# What the destination holds after a copy, to compare the tools' results: for a store, the path's
# NAR hash and whether its contents verify; for a cache, nix-cache-info and each narinfo's path,
# NAR hash and size, references and compression (the compressed bytes may differ, e.g. for zstd).
dest_state() {
  local kind="$1" path="$2" dir="$DST"
  case "$kind" in
    ssh|noop)
      [ "$kind" = noop ] && dir="$NOOP"
      nix-store --store "$dir" -q --hash "$path" 2>&1 || true
      nix-store --store "$dir" --verify-path "$path" >/dev/null 2>&1 && echo verified || echo NOT-VERIFIED ;;
    file) (cd "$DST" && cat nix-cache-info && for f in *.narinfo; do echo "$f"; grep -E '^(StorePath|NarHash|NarSize|References|Compression):' "$f"; done) 2>&1 || true ;;
  esac
}

# run_once CMD KIND OUT -> "seconds rss_kib rc"
run_once() {
  local cmd="$1" kind="$2" out="$3" t0 t1 rc=0
  [ "$kind" = noop ] || rw_rm "$DST"
  # Flush the previous run's dirty pages first, so that neither tool pays for the other's writeback.
  sync
  t0=$EPOCHREALTIME
  # The command holds '&' and '' inside URLs and options, so it goes through the shell as written.
  env NIX_PATH= HOME=/homeless /usr/bin/time -o "$RESULTS/.crss" -f "%M" bash -c "$cmd" </dev/null >"$out" 2>"$out.err" || rc=$?
  t1=$EPOCHREALTIME
  printf '%s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" "$(tail -n 1 "$RESULTS/.crss")" "$rc"
}
quote_urls() { sed -E "s#((ssh|file)://[^ ]*)#'\\1'#g" <<<"$1"; }

TABLE="| workload | nix 2.8 median (s) | nixsharp median (s) | ratio (nixsharp/nix) | nix peak RSS (MiB) | nixsharp peak RSS (MiB) | same result |
| --- | ---: | ---: | ---: | ---: | ---: | --- |"
declare -A NSRSS=()
FAILS=""
for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}" kind="${KIND[$i]}" path="${PATHS[$i]}"
  nixc=$(quote_urls "${NIXC[$i]}") nsc=$(quote_urls "${NSC[$i]}")
  echo "running $name..." >&2
  : >"$RESULTS/.cnix.times"; : >"$RESULTS/.cns.times"
  # Warm-up runs: their results (what the destination holds, the exit code) are what is compared.
  read -r ta ma rca < <(run_once "$nixc" "$kind" "$RESULTS/.cnix.out"); sa=$(dest_state "$kind" "$path")
  read -r tb mb rcb < <(run_once "$nsc" "$kind" "$RESULTS/.cns.out"); sb=$(dest_state "$kind" "$path")
  same=yes
  if [ "$rca" != "$rcb" ] || [ "$sa" != "$sb" ] || [ "$rca" != 0 ]; then
    same=NO
    FAILS+=$'\n'"### $name: exit $rca (nix) vs $rcb (nixsharp)"$'\n\n```\n'"$(diff <(echo "$sa") <(echo "$sb") | head -20)"$'\n--- nix stderr\n'"$(tail -5 "$RESULTS/.cnix.out.err")"$'\n--- nixsharp stderr\n'"$(tail -5 "$RESULTS/.cns.out.err")"$'\n```\n'
  fi
  runs=$RUNS; [ "$name" = file200-xz ] && runs=$XZ_RUNS
  if [ "$runs" = 0 ]; then echo "$ta $ma $rca" >"$RESULTS/.cnix.times"; echo "$tb $mb $rcb" >"$RESULTS/.cns.times"; fi
  for ((r = 0; r < runs; r++)); do
    run_once "$nixc" "$kind" /dev/null >>"$RESULTS/.cnix.times"
    run_once "$nsc" "$kind" /dev/null >>"$RESULTS/.cns.times"
  done
  a=$(awk '{print $1}' "$RESULTS/.cnix.times" | median); b=$(awk '{print $1}' "$RESULTS/.cns.times" | median)
  c=$(awk '{print $2}' "$RESULTS/.cnix.times" | sort -g | tail -1); d=$(awk '{print $2}' "$RESULTS/.cns.times" | sort -g | tail -1)
  NSRSS[$name]=$d
  label="$name"; [ "$runs" = "$RUNS" ] || label="$name ($runs timed runs$([ "$runs" = 0 ] && echo ': the warm-up run' || true))"
  [ "$name" = ssh200-nsremote ] && label="ssh200-nsremote (remote: nix-store for nix, nixsharp store serve for nixsharp)"
  TABLE+=$'\n'$(awk -v l="$label" -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v s="$same" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.2f | %.1f | %.1f | %s |", l, a, b, b / a, c / 1024, d / 1024, s }')
done
FLAT=""
if [ -n "${NSRSS[ssh50]:-}" ] && [ -n "${NSRSS[ssh200]:-}" ]; then
  FLAT=$(awk -v a="${NSRSS[ssh50]}" -v b="${NSRSS[ssh200]}" 'BEGIN {
    print "| nixsharp copy over ssh | 50 MB, 1 000 files | 200 MB, 4 000 files | growth |"
    print "| --- | ---: | ---: | ---: |"
    printf "| peak RSS (MiB) | %.1f | %.1f | %+.1f MiB |\n", a / 1024, b / 1024, (b - a) / 1024 }')
fi
{
  echo "# nixsharp copy vs $(nix --version)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, median of $RUNS runs after one warm-up each; peak RSS is the largest run"
  echo "(GNU time's %M: the largest single process of the client's tree — the ssh client included, the remote side not)."
  echo "ssh rows go through OpenSSH on loopback to a fresh chroot store served by \`$NIX_STORE --serve --write\`"
  echo "unless the row says otherwise; noop copies to a store that already has the path."
  echo
  echo "$TABLE"
  if [ -n "$FLAT" ]; then echo; echo "Memory as the closure grows:"; echo; echo "$FLAT"; fi
  if [ -n "$FAILS" ]; then echo; echo "## Differences"; echo "$FAILS"; fi
} | tee "$RESULTS/copy.md"
