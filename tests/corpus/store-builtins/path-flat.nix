# Flat copies (recursive = false) hash a single file's contents; the store path differs from a recursive copy.
{
  flat = builtins.path { path = ./fixtures/single.txt; recursive = false; };
  recursive = builtins.path { path = ./fixtures/single.txt; recursive = true; };
  flatRenamed = builtins.path { path = ./fixtures/single.txt; recursive = false; name = "other"; };
}
