# The result of builtins.path names a store path, which storePath accepts.
let p = builtins.path { path = ./fixtures/tree; }; in
[ (builtins.storePath p) (builtins.getContext (builtins.storePath p)) ]
