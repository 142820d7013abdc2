# Three BGP routers described once, each with a few variables; nixsharp builds every router's
# BIRD configuration from them. `nixsharp build examples/bird-hosts/hosts.nix -A host1` gives
# host1's directory: etc/bird/bird.conf and bin/bird-reload.
#
# Change a router from the command line without editing this file:
#   --arg overrides '{ host2.routerId = "10.255.0.22"; }'
# Only the routers whose files change get new store paths; the others stay as they were.
{ overrides ? { } }:
with import <nixsharp> { };
let
  inherit (lib) concatMapStrings concatMapStringsSep mapAttrsToList optionalString;

  routers = {
    host1 = { routerId = "10.255.0.1"; asn = 65001; networks = [ "192.168.1.0/24" ]; };
    host2 = { routerId = "10.255.0.2"; asn = 65002; networks = [ "192.168.2.0/24" "192.168.20.0/24" ]; };
    host3 = { routerId = "10.255.0.3"; asn = 65003; networks = [ ]; exportDefault = true; };
  };

  # Point-to-point links: each router peers with the one at the other end.
  links = [
    { a = "host1"; b = "host2"; subnet = "10.0.12"; }
    { a = "host2"; b = "host3"; subnet = "10.0.23"; }
    { a = "host1"; b = "host3"; subnet = "10.0.13"; }
  ];

  hosts = builtins.mapAttrs (name: vars: vars // (overrides.${name} or { })) routers;

  # A router's sessions: for each of its links, its own address (.1 on side a, .2 on side b)
  # and the neighbour's address and AS number.
  neighboursOf = name: builtins.concatMap (link:
    if link.a == name then [ { peer = link.b; local = "${link.subnet}.1"; address = "${link.subnet}.2"; } ]
    else if link.b == name then [ { peer = link.a; local = "${link.subnet}.2"; address = "${link.subnet}.1"; } ]
    else [ ]) links;

  birdConf = name: host: ''
    # BIRD 2 configuration of ${name}, generated from examples/bird-hosts/hosts.nix.
    log syslog all;
    router id ${host.routerId};

    protocol device {
      scan time 10;
    }

    protocol kernel {
      ipv4 { export where source = RTS_BGP; };
    }

    protocol static originated {
      ipv4;
    ${concatMapStrings (net: "  route ${net} blackhole;\n") host.networks
    }${optionalString (host.exportDefault or false) "  route 0.0.0.0/0 blackhole;\n"}}
    ${concatMapStrings (n: ''

      protocol bgp ${n.peer} {
        local ${n.local} as ${toString host.asn};
        neighbor ${n.address} as ${toString hosts.${n.peer}.asn};
        ipv4 {
          import all;
          export where source ~ [ RTS_STATIC, RTS_BGP ];
        };
      }
    '') (neighboursOf name)}'';

  router = name: host: symlinkJoin {
    inherit name;
    paths = [
      (writeTextFile {
        name = "${name}-bird.conf";
        destination = "/etc/bird/bird.conf";
        text = birdConf name host;
        # Every block that opens is closed.
        checkPhase = ''
          test "$(tr -cd '{' < "$target" | wc -c)" = "$(tr -cd '}' < "$target" | wc -c)"
        '';
      })
      (writeShellScriptBin "bird-reload" ''
        # Makes the running bird read the configuration, on the router it was made for.
        if [ "$(hostname)" != ${name} ]; then
          echo "bird-reload: this is ${name}'s, not $(hostname)'s" >&2
          exit 1
        fi
        exec birdc configure "/etc/bird/bird.conf"
      '')
    ];
  };
in
builtins.mapAttrs router hosts
