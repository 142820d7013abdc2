# Shared by store.sh, build.sh and copy.sh (sourced after they set ROOT and RESULTS): the
# nixsharp binary to time, and the median of a column of numbers.

# Sets NIXSHARP: the binary given in $NIXSHARP, or a NativeAOT one published into $RESULTS/bin.
nixsharp_binary() {
  if [ -z "${NIXSHARP:-}" ]; then
    echo "building nixsharp (NativeAOT)..." >&2
    dotnet publish "$ROOT/src/Nixsharp.Cli" -c Release -r linux-x64 \
      --artifacts-path "$RESULTS/artifacts" -o "$RESULTS/bin" >"$RESULTS/publish.log" 2>&1 \
      || { cat "$RESULTS/publish.log" >&2; exit 1; }
    NIXSHARP="$RESULTS/bin/nixsharp"
  fi
}

# The median of the numbers on standard input, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
