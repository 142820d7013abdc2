builtins.toXML (args@{ a }: a)
