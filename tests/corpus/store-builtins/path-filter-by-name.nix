# Filters by name: leave out hidden files and shell scripts.
let
  base = baseNameOf;
  noHidden = path: type: builtins.substring 0 1 (base path) != ".";
  noScripts = path: type: builtins.match ".*\\.sh" (base path) == null;
in {
  noHidden = builtins.path { path = ./fixtures/tree; filter = noHidden; };
  noScripts = builtins.path { path = ./fixtures/tree; filter = noScripts; };
  neither = builtins.path { path = ./fixtures/tree; filter = p: t: noHidden p t && noScripts p t; };
}
