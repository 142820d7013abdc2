with { x = "from-with"; }; (x: x) "from-arg"
