builtins.attrValues (builtins.intersectAttrs { x = "left"; } { x = "right"; })
