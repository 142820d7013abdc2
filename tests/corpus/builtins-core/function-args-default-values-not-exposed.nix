builtins.attrValues (builtins.functionArgs ({ a ? throw "no", b }: a))
