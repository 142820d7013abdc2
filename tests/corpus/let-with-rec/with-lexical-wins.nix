let x = "lexical"; in with { x = "with"; }; x
