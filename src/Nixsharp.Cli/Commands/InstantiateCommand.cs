// `nixsharp instantiate`: nix-instantiate's command line and output, flag for flag.
// Without --eval it instantiates: derivations are written to the store as .drv files and their
// paths printed; --eval and --parse evaluate read-only, writing nothing.
namespace Nixsharp.Cli.Commands;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Output;
using Nixsharp.Language.Syntax;

public static class InstantiateCommand
{
    private enum OutputKind { Plain, Xml, Json }

    public const string Help =
        "Usage: nixsharp instantiate [OPTIONS...] [FILES...]\n" +
        "\n" +
        "Evaluates Nix expressions as nix-instantiate does.\n" +
        "\n" +
        "  --eval              evaluate and print the value instead of instantiating derivations\n" +
        "  --strict            evaluate the result deeply (with --eval)\n" +
        "  --json, --xml       print the result as JSON or XML (with --eval)\n" +
        "  --no-location       omit source positions from --xml output\n" +
        "  --parse             print the parsed expression\n" +
        "  -E, --expr          the arguments are expressions, not files\n" +
        "  -                   read the expression from standard input\n" +
        "  -A, --attr PATH     select an attribute (repeatable)\n" +
        "  --arg NAME EXPR     pass EXPR as argument NAME to a top-level function\n" +
        "  --argstr NAME STR   pass the string STR as argument NAME\n" +
        "  -I PATH             add PATH (or prefix=PATH) to the search path for <...>\n" +
        "  --find-file         print where <...> paths resolve\n" +
        "  --add-root PATH     register the .drv files as GC roots (PATH, PATH-2, ...)\n" +
        "  --store STORE       the store to write to ('auto', 'local', a directory, 'local?root=DIR')\n" +
        "  --read-write-mode   with --eval: write to the store and build what the evaluation reads\n" +
        "                      (import from derivation), as without --eval\n" +
        "  --show-trace        show the evaluation trace of errors\n" +
        "  --max-call-depth N  fail with \"stack overflow\" beyond N nested calls\n" +
        "  --option NAME VAL   set a Nix setting (max-call-depth, pure-eval, system, ...)\n" +
        "  --wrap-integer-overflow  wrap on integer overflow like Nix 2.8 (default: error, like current Nix)\n" +
        "\n" +
        "Environment: NIX_PATH is appended to the search path; HOME resolves ~/ paths.\n";

    public static int Run(string[] args, CliIo io)
    {
        var session = new EvalSession(io, io.InstantiateName);
        return session.Guard(() => RunInner(args, io, session));
    }

    private static int RunInner(string[] args, CliIo io, EvalSession session)
    {
        var files = new List<string>();
        var attrPaths = new List<string>();
        bool readStdin = false, fromArgs = false, findFile = false, evalOnly = false, parseOnly = false;
        bool strict = false, xmlLocation = true, readWrite = false;
        var buildFlags = Build.BuildFlags.FromConfig(io);
        string? gcRoot = null, storeUri = null;
        var output = OutputKind.Plain;

        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            // Build settings (for derivations built during evaluation) are also read by the
            // evaluation flags below, which accept and ignore them.
            int buildFlagEnd = i;
            buildFlags.TryParse(args, ref buildFlagEnd);
            switch (a)
            {
                case "--help": io.Out(Help); return 0;
                case "--read-write-mode": readWrite = true; break;
                case "--version": io.Out("nix-instantiate (Nix) 2.8.0\n"); return 0;
                case "-": readStdin = true; break;
                case "--expr": case "-E": fromArgs = true; break;
                case "--eval": case "--eval-only": evalOnly = true; break;
                case "--parse": case "--parse-only": parseOnly = evalOnly = true; break;
                case "--find-file": findFile = true; break;
                case "--attr": case "-A": attrPaths.Add(ByteString.FromUtf16(EvalSession.Need(args, ref i, a))); break;
                case "--add-root": gcRoot = EvalSession.Need(args, ref i, a); break;
                case "--store": storeUri = EvalSession.Need(args, ref i, a); break;
                case "--xml": output = OutputKind.Xml; break;
                case "--json": output = OutputKind.Json; break;
                case "--no-location": xmlLocation = false; break;
                case "--strict": strict = true; break;
                default:
                    if (session.TryParseCommonFlag(args, ref i)) break;
                    if (a.Length > 0 && a[0] == '-') throw new UsageException($"unrecognised flag '{a}'");
                    files.Add(ByteString.FromUtf16(a));
                    break;
            }
        }

        // Instantiating writes to a store; evaluating only computes paths, as in Nix's read-only mode
        // (unless --read-write-mode), but fetchers still fetch into the store.
        buildFlags.Validate();
        session.StoreUri = storeUri;
        session.BuildFlags = buildFlags;
        using var store = (evalOnly && !readWrite) || findFile ? null : Glue.StoreOpener.Open(storeUri, io);
        var target = store is null || evalOnly ? null : new Instantiation(store, gcRoot, io);
        var st = session.CreateState(store is null ? null : new Glue.LocalStoreBackend(store, session.Effects(store)));
        var autoArgs = session.BuildAutoArgs(st);
        if (attrPaths.Count == 0) attrPaths.Add("");
        var cwd = session.Settings.WorkingDirectory;

        if (findFile)
        {
            foreach (var f in files) io.Out(st.FindFile(st.Settings.SearchPath, f, default) + "\n");
            return 0;
        }

        if (readStdin)
        {
            using var stdin = io.Stdin();
            using var ms = new MemoryStream();
            stdin.CopyTo(ms);
            var e = st.ParseStdin(ByteString.FromBytes(ms.ToArray()), cwd);
            Process(st, io, e, attrPaths, parseOnly, strict, autoArgs, target, output, xmlLocation);
        }
        else if (files.Count == 0 && !fromArgs) files.Add("./default.nix");

        foreach (var f in files)
        {
            Expr e;
            if (fromArgs) e = st.ParseString(f, cwd);
            else
            {
                var path = LookupFileArg(st, f, cwd);
                var resolved = st.ResolveExprPath(path, default);
                if (st.Host.GetFileTypeFollow(resolved) == HostFileType.Missing)
                    throw new HostError($"getting status of '{resolved}': No such file or directory");
                e = st.ParseFile(resolved);
            }
            Process(st, io, e, attrPaths, parseOnly, strict, autoArgs, target, output, xmlLocation);
        }
        return 0;
    }

    private static string LookupFileArg(EvalState st, string s, string cwd)
    {
        if (s.Length > 2 && s[0] == '<' && s[^1] == '>')
            return st.FindFile(st.Settings.SearchPath, s.Substring(1, s.Length - 2), default);
        return PathUtil.AbsPath(s, cwd);
    }

    private static void Process(EvalState st, CliIo io, Expr e, List<string> attrPaths, bool parseOnly, bool strict,
        AttrsValue autoArgs, Instantiation? target, OutputKind output, bool xmlLocation)
    {
        if (parseOnly)
        {
            io.Out(e.ToString() + "\n");
            return;
        }
        var root = e.Eval(st, st.BaseEnv);
        foreach (var attrPath in attrPaths)
        {
            var (v, pos) = AttrPath.Find(st, attrPath, autoArgs, root);
            v = st.Force(v, pos);
            if (target is not null)
            {
                target.Print(DerivationCollector.Collect(st, v, autoArgs, pos));
                continue;
            }
            var res = autoArgs.Count == 0 ? v : st.AutoCall(v, autoArgs);
            switch (output)
            {
                case OutputKind.Xml:
                    io.Out(XmlWriter.ToXml(st, res, strict, xmlLocation, new ContextBuilder(), pos));
                    break;
                case OutputKind.Json:
                    io.Out(JsonWriter.ToJson(st, res, strict, new ContextBuilder(), pos));
                    break;
                default:
                    if (strict) st.ForceDeep(res);
                    io.Out(ValuePrinter.Print(st, res) + "\n");
                    break;
            }
        }
    }

    /// <summary>Prints instantiated derivations as nix-instantiate does, registering them as GC
    /// roots with --add-root (or warning once that they are not).</summary>
    private sealed class Instantiation
    {
        private readonly Nixsharp.Store.Local.LocalStore _store;
        private readonly string? _gcRoot;
        private readonly CliIo _io;
        private int _rootNumber;
        private bool _warned;

        public Instantiation(Nixsharp.Store.Local.LocalStore store, string? gcRoot, CliIo io)
        {
            _store = store; _gcRoot = gcRoot; _io = io;
        }

        public void Print(List<FoundDerivation> drvs)
        {
            foreach (var d in drvs)
            {
                var drvPath = d.QueryDrvPath();
                var outputName = d.QueryOutputName();
                if (outputName.Length == 0) throw new HostError($"derivation '{drvPath}' lacks an 'outputName' attribute ");
                var shown = drvPath;
                if (_gcRoot is null)
                {
                    if (!_warned) _io.Err("warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n");
                    _warned = true;
                }
                else
                {
                    var rootName = Path.GetFullPath(_gcRoot, _io.WorkingDirectory);
                    if (++_rootNumber > 1) rootName += "-" + _rootNumber;
                    var roots = new Nixsharp.Store.Local.GcRoots(_store.Layout, _store.IsValidPath, _store.Log);
                    _store.AddTempRoot(ByteString.ToUtf16(drvPath));
                    shown = roots.AddPermRoot(ByteString.ToUtf16(drvPath), rootName);
                    shown = ByteString.FromUtf16(shown);
                }
                _io.Out(shown + (outputName != "out" ? "!" + outputName : "") + "\n");
            }
        }
    }
}
