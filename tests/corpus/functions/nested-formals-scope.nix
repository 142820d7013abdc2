let a = "outer"; in ({ a ? "def" }: a) { }
