#!/usr/bin/env bash
# The main job on the built-in example, on a fresh Debian 12 machine with the .NET 10 SDK: builds
# the three routers of hosts.nix with nixsharp into a scratch store (nothing outside it is
# touched), prints host1's bird.conf, then builds again to show that nothing is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Builds run in a bubblewrap sandbox whose /bin/sh is a static busybox.
need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

dotnet build -c Release src/Nixsharp.Cli -nologo -v quiet >/dev/null
nixsharp=src/Nixsharp.Cli/bin/Release/net10.0/nixsharp
store=${STORE:-/tmp/nixsharp-example-store}
# Everything here is built from the example itself: no need to ask cache.nixos.org (the default
# substituter, as in Nix) for it, which fails with a warning on a machine without network access.
export NIX_CONFIG="substituters ="

echo "\$ nixsharp build --store $store examples/bird-hosts/hosts.nix"
paths=$("$nixsharp" build --store "$store" --no-out-link examples/bird-hosts/hosts.nix)
echo "$paths"
host1=$(head -n 1 <<<"$paths")
echo
echo "$host1:"
(cd "$store$host1" && find . -mindepth 1 | sort | sed 's/^/  /')
conf=$(readlink "$store$host1/etc/bird/bird.conf")
echo
echo "$conf:"
cat "$store$conf"
echo
echo "\$ nixsharp build --store $store examples/bird-hosts/hosts.nix   # again: nothing to build"
"$nixsharp" build --store "$store" --no-out-link examples/bird-hosts/hosts.nix
