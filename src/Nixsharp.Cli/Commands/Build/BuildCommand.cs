// `nixsharp build`: nix-build. Evaluates, instantiates the derivations found, builds what is
// missing, makes `result` links (registered as indirect GC roots) and prints the output paths,
// all as nix-build 2.8 does: `result`, `result-2`, ... for further derivations and
// `result-<output>` for outputs other than `out`.
namespace Nixsharp.Cli.Commands.Build;

using System.Text;
using System.Text.Json;
using Nixsharp.Builder;
using Nixsharp.Builder.Scheduling;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;
using Nixsharp.Store.Local;

public static class BuildCommand
{
    public const string Help =
        "Usage: nixsharp build [OPTIONS...] [FILES...]\n" +
        "\n" +
        "Builds the derivations an expression evaluates to, as nix-build does, and prints their output paths.\n" +
        "\n" +
        "  -A, --attr PATH     build this attribute (repeatable)\n" +
        "  -E, --expr          the arguments are expressions, not files\n" +
        "  --arg NAME EXPR     pass EXPR as argument NAME to a top-level function\n" +
        "  --argstr NAME STR   pass the string STR as argument NAME\n" +
        "  -I PATH             add PATH (or prefix=PATH) to the search path for <...>\n" +
        "  -o, --out-link PATH name the result links PATH, PATH-2, ... (default ./result)\n" +
        "  --no-out-link       make no result links\n" +
        "  --json              print the derivations and their outputs as JSON\n" +
        "  --store STORE       the store to build in ('auto', 'local', a directory, 'local?root=DIR')\n" +
        BuildFlags.Help +
        "  --show-trace        show the evaluation trace of errors\n" +
        "\n" +
        "Builds run in a bubblewrap sandbox (install 'bubblewrap'); /bin/sh in it is /bin/busybox unless\n" +
        "sandbox-paths says otherwise. Exit status as nix-build: 100 when a builder failed, 101 when it\n" +
        "timed out, 102 on a fixed-output hash mismatch, 104 when --check found a difference, 1 for other errors.\n" +
        BuildFlags.LogsHelp;

    public static int Run(string[] args, CliIo io)
    {
        var session = new EvalSession(io, "nixsharp build");
        return session.Guard(() => RunInner(args, io, session));
    }

    private static int RunInner(string[] args, CliIo io, EvalSession session)
    {
        var files = new List<string>();
        var attrPaths = new List<string>();
        bool fromArgs = false, json = false;
        string? outLink = "./result", storeUri = null;
        var flags = BuildFlags.FromConfig(io);
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            switch (a)
            {
                case "--help": io.Out(Help); return 0;
                case "--version": io.Out("nix-build (Nix) 2.8.0\n"); return 0;
                case "--expr": case "-E": fromArgs = true; break;
                case "--attr": case "-A": attrPaths.Add(ByteString.FromUtf16(EvalSession.Need(args, ref i, a))); break;
                case "--out-link": case "-o": outLink = EvalSession.Need(args, ref i, a); break;
                case "--no-out-link": case "--no-link": outLink = null; break;
                case "--json": json = true; break;
                case "--store": storeUri = EvalSession.Need(args, ref i, a); break;
                case "--add-drv-link": case "--indirect": break; // obsolete in nix-build too
                default:
                    if (flags.TryParse(args, ref i)) break;
                    if (session.TryParseCommonFlag(args, ref i)) break;
                    if (a.Length > 0 && a[0] == '-') throw new UsageException($"unrecognised flag '{a}'");
                    files.Add(ByteString.FromUtf16(a));
                    break;
            }
        }
        flags.Validate();
        if (files.Count == 0 && !fromArgs) files.Add("./default.nix");
        if (attrPaths.Count == 0) attrPaths.Add("");

        using var store = Glue.StoreOpener.Open(storeUri, io);
        session.BuildFlags = flags;
        var st = session.CreateState(new Glue.LocalStoreBackend(store, session.Effects(store)));
        var autoArgs = session.BuildAutoArgs(st);
        var cwd = session.Settings.WorkingDirectory;

        // (derivation, output) in the order found, as nix-build keeps them.
        var wanted = new List<(string DrvPath, string Output)>();
        foreach (var f in files)
        {
            Expr e;
            if (fromArgs) e = st.ParseString(f, cwd);
            else
            {
                var path = f.Length > 2 && f[0] == '<' && f[^1] == '>'
                    ? st.FindFile(st.Settings.SearchPath, f.Substring(1, f.Length - 2), default)
                    : PathUtil.AbsPath(f, cwd);
                var resolved = st.ResolveExprPath(path, default);
                if (st.Host.GetFileTypeFollow(resolved) == HostFileType.Missing)
                    throw new HostError($"getting status of '{resolved}': No such file or directory");
                e = st.ParseFile(resolved);
            }
            var root = e.Eval(st, st.BaseEnv);
            foreach (var attrPath in attrPaths)
            {
                var (v, pos) = AttrPath.Find(st, attrPath, autoArgs, root);
                v = st.Force(v, pos);
                foreach (var d in DerivationCollector.Collect(st, v, autoArgs, pos))
                {
                    var drvPath = ByteString.ToUtf16(d.QueryDrvPath());
                    var outputName = ByteString.ToUtf16(d.QueryOutputName());
                    if (outputName.Length == 0) throw new HostError($"derivation '{drvPath}' lacks an 'outputName' attribute");
                    wanted.Add((drvPath, outputName));
                }
            }
        }

        var requests = wanted.Select(w => BuildRequest.Output(w.DrvPath, w.Output)).ToList();
        var log = new StderrBuildLog(io, flags);
        // The one set of the run: evaluation may have used it already (import from derivation).
        using var substituters = session.Substituters(store, log);
        try
        {
            var settings = flags.ToSettings(store, io, importShell: !flags.DryRun);
            var realiser = new Realiser(store, settings, log, io.GetEnv, substituters.Set);
            MissingReport.Print(io, realiser.QueryMissing(requests));
            if (flags.DryRun) return 0;
            realiser.Realise(requests);
        }
        catch (RealiseException e)
        {
            log.Finish();
            io.Err(Commands.Store.StoreCommand.Encode(BuildFlags.FormatError(e.Message)));
            return e.ExitStatus;
        }
        finally
        {
            log.Finish();
        }

        // result, result-2, ... per derivation in order of first appearance; -OUTPUT for other outputs.
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var outPaths = new List<string>();
        var roots = new GcRoots(store.Layout, store.IsValidPath, store.Log);
        foreach (var (drvPath, output) in wanted)
        {
            if (!counters.TryGetValue(drvPath, out var counter)) counters[drvPath] = counter = counters.Count;
            var outPath = store.ReadDerivationFile(drvPath).Outputs[output].Path;
            if (outLink is not null)
            {
                var link = outLink + (counter > 0 ? $"-{counter + 1}" : "") + (output != "out" ? "-" + output : "");
                roots.AddPermRoot(outPath, Path.GetFullPath(link, io.WorkingDirectory));
            }
            outPaths.Add(outPath);
        }
        if (json) io.Out(Commands.Store.StoreCommand.Encode(ToJson(store, wanted)));
        else io.Out(Commands.Store.StoreCommand.Encode(string.Concat(outPaths.Select(p => p + "\n"))));
        return 0;
    }

    /// <summary>As `nix build --json`: each derivation with the output paths that were asked for.</summary>
    private static string ToJson(LocalStore store, List<(string DrvPath, string Output)> wanted)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            foreach (var group in wanted.GroupBy(x => x.DrvPath))
            {
                var drv = store.ReadDerivationFile(group.Key);
                w.WriteStartObject();
                w.WriteString("drvPath", group.Key);
                w.WriteStartObject("outputs");
                foreach (var (_, o) in group.DistinctBy(x => x.Output)) w.WriteString(o, drv.Outputs[o].Path);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
