let
  d = derivation { name = "ctx"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "doc" ]; };
  s = "${d} and ${d.doc}";
in {
  names = builtins.attrNames d;
  ctx = builtins.getContext s;
  hasCtx = builtins.hasContext s;
  plain = builtins.unsafeDiscardStringContext s;
  isDrv = d.type;
  outName = d.doc.outputName;
  eq = d == d.out;
}
