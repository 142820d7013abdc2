[
  (builtins.path { path = ./fixtures/single.txt; recursive = false; sha256 = "1nn4w2x5qc5jy5fik1bsjvqjvb2nqnhizba1sa28x538fl4l6gzj"; })
  (builtins.path { path = ./fixtures/single.txt; recursive = false; sha256 = "sha256-8j9DCXVolI6E0kGtH6HFVqwt8ZZ6hRld8bIwXLrgxNo="; })
]
