# Recursive copies record the executable bit; flat copies hash only the contents.
{
  recursive = builtins.path { path = ./fixtures/exec.sh; };
  flat = builtins.path { path = ./fixtures/exec.sh; recursive = false; };
  treeWithoutScript = builtins.path { path = ./fixtures/tree; filter = p: t: baseNameOf p != "run.sh"; };
}
