# Files that are neither regular, directory nor symlink are "unknown" to filters.
builtins.path { path = /dev; filter = p: t: if p == "/dev/null" then builtins.trace t false else false; }
