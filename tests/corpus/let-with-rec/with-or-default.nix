with { s = { }; }; s.a or "dflt"
