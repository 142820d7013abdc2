// `nixsharp instantiate`: nix-instantiate's command line and output, flag for flag.
// Evaluation modes (--eval, --parse, --find-file) work now; writing .drv files needs the store.
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
        bool strict = false, xmlLocation = true;
        var output = OutputKind.Plain;

        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            switch (a)
            {
                case "--help": io.Out(Help); return 0;
                case "--version": io.Out("nix-instantiate (Nix) 2.8.0\n"); return 0;
                case "-": readStdin = true; break;
                case "--expr": case "-E": fromArgs = true; break;
                case "--eval": case "--eval-only": evalOnly = true; break;
                case "--parse": case "--parse-only": parseOnly = evalOnly = true; break;
                case "--find-file": findFile = true; break;
                case "--attr": case "-A": attrPaths.Add(ByteString.FromUtf16(EvalSession.Need(args, ref i, a))); break;
                case "--add-root": EvalSession.Need(args, ref i, a); break;
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

        var st = session.CreateState();
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
            Process(st, io, e, attrPaths, parseOnly, strict, autoArgs, evalOnly, output, xmlLocation);
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
            Process(st, io, e, attrPaths, parseOnly, strict, autoArgs, evalOnly, output, xmlLocation);
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
        AttrsValue autoArgs, bool evalOnly, OutputKind output, bool xmlLocation)
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
            if (!evalOnly)
                throw new HostError("instantiating derivations (writing .drv files) needs the Nix store, which this version of nixsharp does not implement yet; use --eval to evaluate");
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
}
