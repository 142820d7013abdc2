# The tree's hash, but with a filter that leaves something out: the result no longer matches.
builtins.path {
  path = ./fixtures/tree;
  filter = p: t: t != "symlink";
  sha256 = "1ycx50nsbl2rr9rwy5qjbm1na8qkxcwwm2qzdjqqab0541mcnc1k";
}
