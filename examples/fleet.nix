# A small fleet described once, with per-host variables: what nixsharp evaluates end to end.
# `nixsharp eval -f examples/fleet.nix` prints each host's resolved configuration.
let
  defaults = {
    timezone = "UTC";
    ssh.port = 22;
    packages = [ "openssh" "htop" ];
  };

  hosts = {
    web1 = { role = "web"; address = "10.0.0.11"; memoryMB = 512; };
    web2 = { role = "web"; address = "10.0.0.12"; memoryMB = 512; };
    db1 = { role = "db"; address = "10.0.0.21"; memoryMB = 2048; ssh.port = 2222; };
  };

  roles = {
    web = { packages = [ "nginx" ]; services.nginx.enable = true; };
    db = { packages = [ "postgresql" ]; services.postgresql.enable = true; };
  };

  # Merge defaults, the role and the host's own variables; lists concatenate, sets merge deeply.
  merge = a: b:
    a // builtins.mapAttrs (name: v:
      if builtins.isAttrs v && builtins.isAttrs (a.${name} or null) then merge a.${name} v
      else if builtins.isList v && builtins.isList (a.${name} or null) then a.${name} ++ v
      else v) b;

  configure = name: vars:
    let cfg = merge (merge defaults roles.${vars.role}) vars;
    in cfg // {
      hostName = name;
      # Small hosts get fewer worker processes.
      workers = if cfg.memoryMB < 1024 then 1 else 4;
      motd = "${name} (${cfg.role}) at ${cfg.address}:${toString cfg.ssh.port}";
    };
in
builtins.mapAttrs configure hosts
