# <nixsharp>: the small library shipped inside the nixsharp binary, for generating files and
# directories (configuration, scripts, trees of links) without nixpkgs. Builders run /bin/sh,
# which in the sandbox is a static busybox: its applets (cp, mkdir, ln, chmod, …) are found
# without PATH. Under Nix, pass `-I nixsharp=<this directory>` and
# `--option sandbox-paths /bin/sh=/bin/busybox` for the same output paths.
{ system ? builtins.currentSystem }:
let
  lib = import ./lib.nix;
  builders = import ./builders.nix { inherit lib system; };
in
builders // { inherit lib system; }
