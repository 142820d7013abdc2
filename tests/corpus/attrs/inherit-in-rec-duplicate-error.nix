let x = "outer"; in rec { x = "inner"; inherit x; }
