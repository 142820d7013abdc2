# A small module system in plain Nix, evaluated for a fleet of 50 hosts.
# Each host's config is a fixpoint over its own modules, and the whole fleet is a fixpoint
# too: modules read other hosts' config (hosts file, peers, monitoring targets), so every
# option value is a lazy thunk into the shared `fleet` set. Exercises closures, laziness,
# attribute sets, priorities and a lot of small list/string work per option.
let
  inherit (builtins) attrNames concatMap concatStringsSep filter foldl' genList
    head length listToAttrs mapAttrs sort toString;

  fix = f: let x = f x; in x;

  # Priorities: lower number wins (like mkForce 50 < plain 100 < mkDefault 1000 < option default).
  mkOverride = priority: value: { _type = "override"; inherit priority value; };
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  # Conditional definitions keep module *names* independent of config, so evaluating
  # which options a module defines never forces config (that would be infinite recursion).
  mkIf = condition: content: { _type = "if"; inherit condition content; };

  isType = t: v: builtins.isAttrs v && (v._type or null) == t;

  # Option types: a check and a way to merge several definitions of the same priority.
  types = {
    str = { name = "string"; check = builtins.isString; merge = uniqueMerge; };
    int = { name = "int"; check = builtins.isInt; merge = uniqueMerge; };
    bool = { name = "bool"; check = builtins.isBool; merge = uniqueMerge; };
    list = { name = "list"; check = builtins.isList; merge = _: defs: builtins.concatLists defs; };
    # Attribute sets merge key by key, each key with its own priorities (so a module can
    # mkDefault one sysctl and a host can mkForce it).
    attrs = {
      name = "attrs";
      check = builtins.isAttrs;
      merge = opt: defs:
        let keys = attrNames (foldl' (a: b: a // b) { } defs); in
        listToAttrs (map (k: {
          name = k;
          value = pickBest "${opt}.${k}" (concatMap (d: if d ? ${k} then discharge d.${k} else [ ]) defs) uniqueMerge;
        }) keys);
    };
  };
  uniqueMerge = opt: defs:
    let v = head defs; in
    if builtins.all (d: d == v) defs then v
    else throw "option `${opt}' has conflicting definitions";

  mkOption = type: default: { inherit type default; };

  # A definition becomes a list of { priority, value }: false mkIfs vanish, overrides set priority.
  discharge = d:
    if isType "if" d then (if d.condition then discharge d.content else [ ])
    else if isType "override" d then map (c: { inherit (d) priority; value = c.value; }) (discharge d.value)
    else [ { priority = 100; value = d; } ];

  # Keep only the definitions with the best (lowest) priority and merge those.
  pickBest = opt: defs: merge:
    let
      best = foldl' (m: d: if d.priority < m then d.priority else m) 9999 defs;
      winners = map (d: d.value) (filter (d: d.priority == best) defs);
    in
    merge opt winners;

  # Roughly 30 options per host.
  options = {
    hostName = mkOption types.str "nameless";
    domain = mkOption types.str "fleet.internal";
    fqdn = mkOption types.str "";
    index = mkOption types.int 0;
    rack = mkOption types.int 0;
    address = mkOption types.str "";
    gateway = mkOption types.str "";
    role = mkOption types.str "worker";
    cpus = mkOption types.int 2;
    memoryMiB = mkOption types.int 1024;
    diskGiB = mkOption types.int 20;
    timeZone = mkOption types.str "UTC";
    locale = mkOption types.str "C.UTF-8";
    sshPort = mkOption types.int 22;
    users = mkOption types.list [ ];
    packages = mkOption types.list [ ];
    services = mkOption types.attrs { };
    openPorts = mkOption types.list [ ];
    firewall = mkOption types.bool true;
    allowedFrom = mkOption types.list [ ];
    hostsFile = mkOption types.str "";
    peers = mkOption types.list [ ];
    monitor = mkOption types.str "";
    scrapeTargets = mkOption types.list [ ];
    dnsServers = mkOption types.list [ ];
    backupTarget = mkOption types.str "";
    kernelParams = mkOption types.list [ ];
    sysctl = mkOption types.attrs { };
    labels = mkOption types.attrs { };
    motd = mkOption types.str "";
    weight = mkOption types.int 1;
  };

  # Evaluate one host: collect each option's definitions from all modules, drop false
  # mkIfs, keep the highest-priority ones, merge and type-check them.
  evalHost = fleet: name: modules:
    let
      args = { inherit config fleet name mkDefault mkForce mkIf mkOverride; };
      defsets = map (m: m args) modules;
      unknown = filter (o: !(options ? ${o})) (concatMap attrNames defsets);
      evalOption = opt: decl:
        let
          defs = concatMap (s: if s ? ${opt} then discharge s.${opt} else [ ]) defsets
            ++ [ { priority = 1500; value = decl.default; } ];
          value = pickBest opt defs decl.type.merge;
        in
        if decl.type.check value then value
        else throw "option `${opt}' of host ${name} is not a ${decl.type.name}";
      config =
        if unknown != [ ] then throw "host ${name}: unknown options ${toString unknown}"
        else mapAttrs evalOption options;
    in
    config;

  names = genList (i: "host${toString i}") 50;
  indexOf = n: builtins.fromJSON (builtins.substring 4 3 n);

  # Shared by every host; reads the rest of the fleet through `fleet`.
  common = env: { config, fleet, name, mkDefault, ... }:
    let others = filter (n: n != name) names; in
    {
      hostName = name;
      index = indexOf name;
      rack = config.index - config.index / 5 * 5;
      domain = "${env.name}.fleet.internal";
      fqdn = "${config.hostName}.${config.domain}";
      address = "10.${toString env.id}.${toString config.rack}.${toString (config.index + 10)}";
      gateway = "10.${toString env.id}.${toString config.rack}.1";
      memoryMiB = mkDefault (config.cpus * 2048);
      users = [ "root" "ops" ];
      packages = [ "coreutils" "openssh" ];
      hostsFile = concatStringsSep "\n"
        (map (n: "${fleet.${n}.address} ${fleet.${n}.fqdn} ${n}") others);
      peers = filter (n: fleet.${n}.rack == config.rack) others;
      allowedFrom = map (n: fleet.${n}.address) config.peers;
      monitor = head (filter (n: fleet.${n}.role == "monitor") names ++ [ "" ]);
      dnsServers = map (n: fleet.${n}.address) (filter (n: fleet.${n}.role == "dns") names);
      openPorts = sort builtins.lessThan
        ([ config.sshPort ] ++ concatMap (s: if s.enable then [ s.port ] else [ ]) (builtins.attrValues config.services));
      kernelParams = [ "console=ttyS0" "mem=${toString config.memoryMiB}M" ];
      sysctl = { "net.ipv4.ip_forward" = 0; "vm.swappiness" = mkDefault 10; };
      labels = { rack = toString config.rack; inherit (config) role; };
      motd = "Welcome to ${config.fqdn} (${config.role}, rack ${toString config.rack}); ${toString (length config.peers)} peers, monitored by ${config.monitor}";
      weight = config.cpus * (if config.role == "db" then 4 else 1) + length config.peers;
    };

  # Role-specific settings, all guarded by mkIf on config.role.
  roles = { config, fleet, name, mkForce, mkIf, mkOverride, ... }: {
    # Beats the per-host mkDefault (1000) but loses to a per-host mkForce.
    cpus = mkIf (config.role == "db") (mkOverride 900 16);
    diskGiB = mkIf (config.role == "db") 500;
    services = mkIf (config.role == "web") {
      nginx = { enable = true; port = 443; };
      exporter = { enable = true; port = 9100; };
    };
    packages = mkIf (config.role == "db") [ "postgresql" "pgbackrest" ];
    backupTarget = mkIf (config.role == "db")
      (head (filter (n: fleet.${n}.role == "db" && fleet.${n}.rack != config.rack) names ++ [ "none" ]));
    scrapeTargets = mkIf (config.role == "monitor")
      (concatMap (n: map (p: "${fleet.${n}.address}:${toString p}") fleet.${n}.openPorts)
        (filter (n: n != name) names));
    firewall = mkIf (config.role == "monitor") (mkForce false);
  };

  # Per-host choices: roles by index, a few forced overrides that beat module defaults.
  perHost = name:
    let i = indexOf name; in
    { mkDefault, mkForce, ... }: {
      role =
        if i == 0 then "monitor"
        else if i == 1 || i == 26 then "dns"
        else if i - i / 7 * 7 == 3 then "db"
        else if i - i / 3 * 3 == 0 then "web"
        else "worker";
      cpus = if i - i / 10 * 10 == 9 then mkForce 32 else mkDefault 4;
      sshPort = if i - i / 4 * 4 == 2 then mkForce 2222 else 22;
      timeZone = mkDefault "Europe/Paris";
      sysctl = { "vm.swappiness" = mkForce (i - i / 50 * 50); };
      users = [ "user${toString i}" ];
    };

  # Many small profile modules, each contributing a little under a condition, as a real
  # module system has hundreds: every option evaluation scans all of them.
  profiles = genList (k: { config, mkDefault, mkIf, ... }:
    let hit = config.index - config.index / (k + 2) * (k + 2) == 0; in
    {
      packages = mkIf hit [ "tool${toString k}" ];
      kernelParams = mkIf (hit && k < 5) [ "profile${toString k}=1" ];
      labels = mkIf hit { "profile${toString k}" = "on"; };
      sysctl = { "fs.profile${toString k}" = mkDefault k; };
      users = mkIf (k == 0) [ "backup" ];
    }) 30;

  # One fleet per environment; each is its own fixpoint over the same 50 host names.
  mkFleet = env: fix (fleet: listToAttrs (map (n: {
    name = n;
    value = evalHost fleet n ([ (common env) roles (perHost n) ] ++ profiles);
  }) names));

  envs = genList (id: { inherit id; name = "env${toString id}"; }) 8;
  fleets = map mkFleet envs;
  fleet = head fleets;

  # Fold everything into one string so every option of every host is forced.
  render = f: n:
    concatStringsSep ";" (map (o: "${o}=${builtins.toJSON f.${n}.${o}}") (attrNames options));
  rendered = concatStringsSep "\n" (concatMap (f: map (render f) names) fleets);
in
{
  hash = builtins.hashString "sha256" rendered;
  size = builtins.stringLength rendered;
  host10 = { inherit (fleet.host10) role cpus memoryMiB openPorts backupTarget weight; };
  host19 = { inherit (fleet.host19) role cpus memoryMiB sshPort weight; };
  monitorTargets = length fleet.host0.scrapeTargets;
  dns = (builtins.elemAt fleets 3).host42.dnsServers;
  motd = fleet.host13.motd;
}
