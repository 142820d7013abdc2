# A path given as an absolute string works like the path value, and its base name is the default name.
[
  (builtins.path { path = toString ./fixtures/tree; })
  (builtins.path { path = "${toString ./fixtures/tree}/"; })
  (builtins.path { path = "${toString ./fixtures/tree}/."; })
]
