/a/b + /c/d
