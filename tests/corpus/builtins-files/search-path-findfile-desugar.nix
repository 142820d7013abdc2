let __findFile = path: name: "custom lookup of ${name}"; in <foo/bar>
