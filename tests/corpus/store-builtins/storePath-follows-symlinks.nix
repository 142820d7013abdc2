# A path outside the store is resolved first: the message shows where the symlink leads.
builtins.storePath ./fixtures/link-to-tree
