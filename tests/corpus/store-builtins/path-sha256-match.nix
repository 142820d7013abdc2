# An expected hash in any of Nix's formats (here produced by nix-hash) is checked and gives the same path.
[
  (builtins.path { path = ./fixtures/tree; sha256 = "1ycx50nsbl2rr9rwy5qjbm1na8qkxcwwm2qzdjqqab0541mcnc1k"; })
  (builtins.path { path = ./fixtures/tree; sha256 = "3330cb6a20052c85b16c1f8bca39eb132365435d1217cf73ca59d0a52d289df9"; })
  (builtins.path { path = ./fixtures/tree; sha256 = "sha256:1ycx50nsbl2rr9rwy5qjbm1na8qkxcwwm2qzdjqqab0541mcnc1k"; })
  (builtins.path { path = ./fixtures/tree; sha256 = "sha256-MzDLaiAFLIWxbB+LyjnrEyNlQ10SF89zylnQpS0onfk="; })
  (builtins.path { path = ./fixtures/tree; name = "named"; sha256 = "1ycx50nsbl2rr9rwy5qjbm1na8qkxcwwm2qzdjqqab0541mcnc1k"; })
  "${./fixtures/tree}"
]
