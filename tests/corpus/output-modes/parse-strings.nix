let x = "v"; in [ "plain" "with ${x} interp" ''indented ${x}'' "esc\n\"" ]
