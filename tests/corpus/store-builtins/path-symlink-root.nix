# A symlink given as the path is copied as a symlink (recursive) or followed (flat).
{
  linkToTree = builtins.path { path = ./fixtures/link-to-tree; };
  linkToSingle = builtins.path { path = ./fixtures/link-to-single; };
  linkToSingleFlat = builtins.path { path = ./fixtures/link-to-single; recursive = false; };
  singleFlat = builtins.path { path = ./fixtures/single.txt; recursive = false; name = "link-to-single"; };
  interpolated = "${./fixtures/link-to-tree}";
}
