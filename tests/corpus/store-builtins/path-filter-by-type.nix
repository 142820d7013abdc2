# Filters see each entry's type: "regular", "directory" or "symlink".
{
  noSymlinks = builtins.path { path = ./fixtures/tree; filter = path: type: type != "symlink"; };
  onlyDirectories = builtins.path { path = ./fixtures/tree; filter = path: type: type == "directory"; };
  onlyRegular = builtins.path { path = ./fixtures/tree; filter = path: type: type == "regular"; };
  everything = builtins.path { path = ./fixtures/tree; filter = path: type: true; };
  nothing = builtins.path { path = ./fixtures/tree; filter = path: type: false; };
}
