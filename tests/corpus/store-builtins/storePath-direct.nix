# In read-only evaluation a path directly in the store is taken as it is, without checking that it exists.
let p = builtins.storePath /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo; in
{
  path = p;
  context = builtins.getContext p;
  fromString = builtins.storePath "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo";
  trailingSlash = builtins.storePath "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo/";
  trailingSlashContext = builtins.getContext (builtins.storePath "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo/");
  noDash = builtins.storePath /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaxfoo;
  inString = "${p}/bin";
}
