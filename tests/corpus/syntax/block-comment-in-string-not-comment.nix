"/* not a comment */"
