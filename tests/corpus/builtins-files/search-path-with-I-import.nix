import <foo/expr.nix>
