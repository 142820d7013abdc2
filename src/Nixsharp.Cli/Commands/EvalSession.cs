// Shared set-up for evaluating commands: settings from the environment and flags, the host,
// automatic arguments, and turning evaluation errors into Nix-style messages.
namespace Nixsharp.Cli.Commands;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Output;
using Nixsharp.Language.Syntax;
using Settings_ = Nixsharp.Cli.Settings;

public sealed class EvalSession
{
    public EvalSettings Settings { get; } = new();
    public List<string> IncludePaths { get; } = new();
    public List<(string Name, string Value, bool IsString)> AutoArgs { get; } = new();
    public CliIo Io { get; }
    /// <summary>The program name used in usage hints ("Try '… --help'").</summary>
    public string ProgramName { get; }

    public EvalSession(CliIo io, string programName)
    {
        Io = io;
        ProgramName = programName;
        ExitOnStackOverflow = io.OwnsProcess;
        Settings.WorkingDirectory = ByteString.FromUtf16(io.WorkingDirectory);
        Settings.AbortOnWarn = io.GetEnv("NIX_ABORT_ON_WARN") is "1" or "true" or "yes";
        var home = io.GetEnv("HOME");
        if (home is not null) Settings.Home = ByteString.FromUtf16(home);
        // Nix 2.8 takes the store directory from the environment, made canonical.
        var storeDir = io.GetEnv("NIX_STORE_DIR") ?? io.GetEnv("NIX_STORE");
        if (storeDir is not null) Settings.StoreDir = PathUtil.CanonPath(storeDir);
        // nix.conf comes before the flags; a bad value there is reported by Guard, like a bad flag.
        BuildFlags = new Build.BuildFlags();
        try
        {
            io.Config.Apply(IsEvalOption, ApplyOption);
            BuildFlags = Build.BuildFlags.FromConfig(io);
        }
        catch (UsageException e)
        {
            _configError = e;
        }
    }

    private readonly UsageException? _configError;

    /// <summary>The store to fetch into when evaluating read-only (--store), and the build settings
    /// for derivations built during evaluation.</summary>
    public string? StoreUri { get; set; }
    public Build.BuildFlags BuildFlags { get; set; }

    /// <summary>Fetching and building for an evaluation on `store`, printing on standard error.</summary>
    public Glue.StoreEffects Effects(Nixsharp.Store.Local.LocalStore store) =>
        new(store, s => BuildFlags.ToSettings(s, Io, importShell: true), new Build.StderrBuildLog(Io), Io.GetEnv,
            (s, log) => Substituters(s, log).Set);

    private Build.SubstituterSetup? _substituters;

    /// <summary>The run's substituters, set up on first use and then shared by everything the run
    /// builds (import from derivation, then the build itself), so that each cache is asked about,
    /// and an unreachable one warned about, once.</summary>
    public Build.SubstituterSetup Substituters(Nixsharp.Store.Local.LocalStore store, Nixsharp.Builder.IBuildLog log) =>
        _substituters ??= new Build.SubstituterSetup(BuildFlags, store, log);

    /// <summary>Exit at once on stack exhaustion instead of unwinding (see EvalSettings.OnStackOverflow).</summary>
    public bool ExitOnStackOverflow { get; set; }

    /// <summary>The evaluator's state; without a store backend, store paths are computed but
    /// nothing is written (Nix's read-only mode, as for --eval).</summary>
    public EvalState CreateState(IStoreBackend? store = null)
    {
        if (ExitOnStackOverflow)
        {
            Settings.OnStackOverflow = e =>
            {
                ReportError(e);
                Io.Stdout.Flush();
                Io.Stderr.Flush();
                Environment.Exit(1);
            };
        }
        foreach (var i in IncludePaths) Settings.AddSearchPathEntry(i);
        // The nix-path setting, when set, replaces NIX_PATH (its default), as in Nix.
        var nixPath = NixPathSetting
            ?? (Io.GetEnv("NIX_PATH") is { } env ? EvalSettings.SplitNixPath(ByteString.FromUtf16(env)) : []);
        foreach (var entry in nixPath) Settings.AddSearchPathEntry(entry);
        foreach (var entry in ExtraNixPath) Settings.AddSearchPathEntry(entry);
        var host = new LocalHost(line => Io.Err(AnsiFilter.Filter(line) + "\n"), Io.GetEnv, store ?? new Glue.ReadOnlyStoreBackend(Settings.StoreDir,
            () => Effects(Glue.StoreOpener.Open(StoreUri, Io))));
        return new EvalState(Settings, host);
    }

    public AttrsValue BuildAutoArgs(EvalState st)
    {
        var b = new AttrsBuilder(AutoArgs.Count);
        foreach (var (name, value, isString) in AutoArgs)
        {
            Value v = isString
                ? StringValue.Of(value)
                : Thunk.OfExpr(st.ParseString(value, Settings.WorkingDirectory), st.BaseEnv);
            b.Add(st.Symbols.Intern(name), v);
        }
        return b.Build();
    }

    /// <summary>Runs an evaluation, printing errors as Nix does; returns the exit code.</summary>
    public int Guard(Func<int> body)
    {
        try
        {
            if (_configError is not null) throw _configError;
            return body();
        }
        catch (NixError e)
        {
            ReportError(e);
            return e.ExitStatus;
        }
        catch (UsageException e)
        {
            Io.Err($"error: {e.Message}\nTry '{ProgramName} --help' for more information.\n");
            return 1;
        }
        catch (Exception e) when (e is Nixsharp.Store.Local.StoreException or Nixsharp.Store.Database.StoreDatabaseException)
        {
            Io.Err($"error: {e.Message}\n");
            return 1;
        }
        catch (InsufficientExecutionStackException)
        {
            Io.Err("error: stack overflow (possible infinite recursion)\n");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Io.Err($"error: {e.Message}\n");
            return 1;
        }
        catch (Exception e)
        {
            // A bug in nixsharp, not in the user's input: say so plainly, without a stack trace.
            Io.Err($"error: internal error in nixsharp ({e.GetType().Name}: {e.Message}); please report it with the command that caused it\n");
            return 1;
        }
    }

    public void ReportError(NixError e)
    {
        var text = ErrorFormatter.Format(e, Settings.ShowTrace, path =>
        {
            try { return ByteString.FromBytes(File.ReadAllBytes(ByteString.ToUtf16(path))); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
        });
        Io.Err(AnsiFilter.Filter(text) + "\n");
        if (e is Nixsharp.Language.Evaluation.UsageError)
            Io.Err($"Try '{ProgramName} --help' for more information.\n");
        else if (e.Traces.Count > 0 && !Settings.ShowTrace)
            Io.Err("(use '--show-trace' to show detailed location information)\n");
    }

    /// <summary>Handles the evaluation flags shared by every evaluating command; false if not one.</summary>
    public bool TryParseCommonFlag(string[] args, ref int i)
    {
        string a = args[i];
        switch (a)
        {
            case "-I":
            case "--include":
                IncludePaths.Add(ByteString.FromUtf16(Need(args, ref i, a)));
                return true;
            case "--arg":
            {
                var name = Need(args, ref i, a);
                var expr = Need(args, ref i, a);
                AutoArgs.Add((ByteString.FromUtf16(name), ByteString.FromUtf16(expr), false));
                return true;
            }
            case "--argstr":
            {
                var name = Need(args, ref i, a);
                var value = Need(args, ref i, a);
                AutoArgs.Add((ByteString.FromUtf16(name), ByteString.FromUtf16(value), true));
                return true;
            }
            case "--show-trace":
                Settings.ShowTrace = true;
                return true;
            case "--pure-eval":
                Settings.PureEval = true;
                return true;
            case "--impure":
                Settings.PureEval = false;
                return true;
            case "--max-call-depth":
                ApplyOption("max-call-depth", Need(args, ref i, a));
                return true;
            case "--option":
            {
                var name = Need(args, ref i, a);
                var value = Need(args, ref i, a);
                ApplyOption(name, value);
                return true;
            }
            case "--wrap-integer-overflow":
                Settings.IntegerOverflowIsError = false;
                return true;
            case "--timeout": case "--max-silent-time": case "--max-jobs": case "-j": case "--cores":
                // Build settings; evaluation ignores them, as nix-instantiate --eval does.
                Need(args, ref i, a);
                return true;
            case "-v": case "--verbose": case "--quiet": case "--no-build-output": case "-Q":
            case "--read-write-mode": case "--repair": case "--dry-run": case "--indirect":
                return true;
        }
        return false;
    }

    /// <summary>The nix-path setting (null: NIX_PATH decides), and extra-nix-path's entries after it.</summary>
    private List<string>? NixPathSetting { get; set; }
    private List<string> ExtraNixPath { get; } = new();

    private static bool IsEvalOption(string name) => name is "max-call-depth" or "pure-eval" or "show-trace" or "abort-on-warn"
        or "system" or "store-dir" or "allow-import-from-derivation" or "nix-path" or "extra-nix-path";

    private void ApplyOption(string name, string value)
    {
        switch (Settings_.SettingNames.Canonical(name))
        {
            case "nix-path":
                // Space-separated in nix.conf (Nix's list settings), unlike NIX_PATH's colons.
                NixPathSetting = value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ByteString.FromUtf16).ToList();
                ExtraNixPath.Clear();
                break;
            case "extra-nix-path":
                ExtraNixPath.AddRange(value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ByteString.FromUtf16));
                break;
            case "max-call-depth":
                if (!int.TryParse(value, out var d) || d < 0) throw new UsageException($"invalid value '{value}' for option max-call-depth");
                Settings.MaxCallDepth = d;
                break;
            case "pure-eval":
                Settings.PureEval = Build.BuildFlags.Bool(name, value);
                break;
            case "show-trace":
                Settings.ShowTrace = Build.BuildFlags.Bool(name, value);
                break;
            case "abort-on-warn":
                Settings.AbortOnWarn = Build.BuildFlags.Bool(name, value);
                break;
            case "system":
                Settings.CurrentSystem = value;
                break;
            case "store-dir":
                Settings.StoreDir = value;
                break;
            case "allow-import-from-derivation":
                Settings.AllowImportFromDerivation = Build.BuildFlags.Bool(name, value);
                break;
            default:
                // Options that only matter to later layers (store, builds) are accepted and ignored here.
                break;
        }
    }

    public static string Need(string[] args, ref int i, string flag)
    {
        if (i + 1 >= args.Length) throw new UsageException($"flag '{flag}' requires an argument");
        return args[++i];
    }
}
