# The result refers to its store path, and so does anything built from it.
let p = builtins.path { path = ./fixtures/tree; filter = path: type: type == "directory"; name = "dirs"; }; in
{
  result = builtins.getContext p;
  inString = builtins.getContext "${p}/sub";
  appended = builtins.getContext (p + "/sub");
  discarded = builtins.getContext (builtins.unsafeDiscardStringContext p);
  hasContext = builtins.hasContext p;
  type = builtins.typeOf p;
  fromFilterSource = builtins.getContext (builtins.filterSource (p: t: true) ./fixtures/single.txt);
}
