// The build settings shared by `build` and `store realise`: max-jobs, cores, keep-going,
// keep-failed, dry-run, the sandbox options, limits on builders, build logs and --check, from flags
// and `--option NAME VALUE` as Nix names them; and the log that prints what builds do on standard error.
namespace Nixsharp.Cli.Commands.Build;

using System.Text;
using Nixsharp.Builder;
using Nixsharp.Store.Local;

public sealed class BuildFlags
{
    public int MaxJobs { get; private set; } = 1;
    public int? Cores { get; private set; }
    public bool KeepGoing { get; private set; }
    public bool KeepFailed { get; private set; }
    public bool DryRun { get; private set; }
    public SandboxMode Sandbox { get; private set; } = SandboxMode.Enabled;
    public string? SandboxPathsValue { get; private set; }
    public List<string> ExtraSandboxPaths { get; } = new();
    public string? System { get; private set; }
    public string SandboxBuildDir { get; private set; } = "/build";
    public int Timeout { get; private set; }
    public int MaxSilentTime { get; private set; }
    public long MaxLogSize { get; private set; }
    public bool KeepLog { get; private set; } = true;
    public bool CompressLog { get; private set; } = true;
    public bool VerboseBuild { get; private set; } = true;
    public int LogLines { get; private set; } = 10;
    public bool Check { get; private set; }
    /// <summary>--repair: hash the valid outputs looked at and put back damaged ones.</summary>
    public bool Repair { get; private set; }
    /// <summary>--log-format: null lets the terminal decide (a status line on an interactive one).</summary>
    public bool? StatusLine { get; private set; }
    /// <summary>--log-format bar: builder lines feed the status line but are not printed.</summary>
    public bool HideBuilderLines { get; private set; }
    /// <summary>substituters: binary caches to fetch outputs from instead of building them; by
    /// default cache.nixos.org, as in Nix (nixsharp's store paths are Nix's, so its binaries fit).</summary>
    public List<string> Substituters { get; private set; } = [DefaultSubstituter];
    public const string DefaultSubstituter = "https://cache.nixos.org/";
    public List<string> ExtraSubstituters { get; } = new();
    /// <summary>trusted-public-keys: whose signatures make a substitute (or a copied path) acceptable.</summary>
    public string TrustedPublicKeys { get; private set; } = Remote.CopyCommand.DefaultTrustedPublicKeys;
    public List<string> ExtraTrustedPublicKeys { get; } = new();
    public bool RequireSigs { get; private set; } = true;

    /// <summary>trusted-public-keys with the extra ones, as one space-separated list.</summary>
    public string AllTrustedPublicKeys => string.Join(' ', ExtraTrustedPublicKeys.Prepend(TrustedPublicKeys)).Trim();
    /// <summary>substitute: whether to use substituters at all.</summary>
    public bool Substitute { get; private set; } = true;
    /// <summary>fallback: build when downloading a substitute fails, instead of failing.</summary>
    public bool Fallback { get; private set; }

    public const string Help =
        "  --max-jobs, -j N    run up to N builders at once ('auto': one per CPU; default 1)\n" +
        "  --cores N           NIX_BUILD_CORES for builders (0 means all CPUs; default: the CPU count)\n" +
        "  --keep-going, -k    go on with other builds after a failure\n" +
        "  --keep-failed, -K   keep the build directory of a failed build\n" +
        "  --dry-run           print what would be built, build nothing\n" +
        "  --no-sandbox        build without the sandbox (same as --option sandbox false)\n" +
        "  --timeout N         kill a builder that runs longer than N seconds (0: no limit)\n" +
        "  --max-silent-time N kill a builder that writes nothing for N seconds (0: no limit)\n" +
        "  -Q, --no-build-output  do not show builder output (it is still stored in the build log;\n" +
        "                      a failed build's error ends with its last lines)\n" +
        "  --check             rebuild derivations whose outputs are valid and fail (exit 104) if\n" +
        "                      any output differs; with --keep-failed the new one is kept as OUT.check\n" +
        "                      (needs the sandbox); --rebuild is the same\n" +
        "  --fallback          build a derivation whose outputs' substitutes fail to download\n" +
        "  --repair            hash the valid outputs of the derivations looked at; fetch damaged ones\n" +
        "                      again (with the recorded hash) or rebuild them in the sandbox and swap\n" +
        "                      them in (a rebuild that differs is registered with its new hash)\n" +
        "  --log-format FORMAT raw (plain lines), bar-with-logs (plain lines and a status line of what\n" +
        "                      is building, done and failed), bar (the status line and errors only);\n" +
        "                      default: bar-with-logs on an interactive terminal, raw otherwise\n" +
        "  --option NAME VAL   a Nix setting: sandbox (true/false/relaxed), sandbox-paths,\n" +
        "                      extra-sandbox-paths, max-jobs, cores, keep-going, keep-failed,\n" +
        "                      system, sandbox-build-dir, timeout, max-silent-time,\n" +
        "                      max-build-log-size (bytes, 0: no limit), keep-build-log,\n" +
        "                      compress-build-log, log-lines; substituters, extra-substituters\n" +
        "                      (file:///DIR and http(s):// binary caches to fetch outputs from instead\n" +
        "                      of building; default https://cache.nixos.org/), trusted-public-keys,\n" +
        "                      extra-trusted-public-keys, require-sigs, substitute (false: never\n" +
        "                      fetch), fallback\n";

    /// <summary>Said at the end of the build commands' help.</summary>
    public const string LogsHelp =
        "Build logs are kept as Nix keeps them (bzip2, under the store's log directory); 'nixsharp log PATH' prints one.\n";

    /// <summary>The build settings of nix.conf (see Settings.Configuration), before any flag.</summary>
    public static BuildFlags FromConfig(CliIo io)
    {
        var flags = new BuildFlags();
        io.Config.Apply(IsBuildOption, flags.SetOption);
        return flags;
    }

    /// <summary>Takes a build flag at args[i] (advancing i past its values); false if it is not one.</summary>
    public bool TryParse(string[] args, ref int i)
    {
        switch (args[i])
        {
            case "--max-jobs": case "-j": SetOption("max-jobs", Need(args, ref i)); return true;
            case "--cores": SetOption("cores", Need(args, ref i)); return true;
            case "--keep-going": case "-k": KeepGoing = true; return true;
            case "--keep-failed": case "-K": KeepFailed = true; return true;
            case "--dry-run": DryRun = true; return true;
            case "--sandbox": Sandbox = SandboxMode.Enabled; return true;
            case "--no-sandbox": Sandbox = SandboxMode.Disabled; return true;
            case "--timeout": SetOption("timeout", Need(args, ref i)); return true;
            case "--max-silent-time": SetOption("max-silent-time", Need(args, ref i)); return true;
            case "--no-build-output": case "-Q": VerboseBuild = false; return true;
            case "--log-format":
                switch (Need(args, ref i))
                {
                    case "raw": case "raw-with-logs": StatusLine = false; HideBuilderLines = false; break;
                    case "bar-with-logs": StatusLine = true; HideBuilderLines = false; break;
                    case "bar": StatusLine = true; HideBuilderLines = true; break;
                    case var other: throw new UsageException($"option 'log-format' has invalid value '{other}' (use raw, raw-with-logs, bar or bar-with-logs)");
                }
                return true;
            // nix-build and nix-store take --check; --rebuild is what the newer `nix build` calls it.
            case "--check": case "--rebuild": Check = true; return true;
            case "--fallback": Fallback = true; return true;
            case "--repair": Repair = true; return true;
            case "--option":
            {
                if (i + 2 >= args.Length) return false;
                var name = Settings.SettingNames.Canonical(args[i + 1]);
                if (!IsBuildOption(name)) return false;
                i++;
                SetOption(name, args[++i]);
                return true;
            }
        }
        return false;
    }

    /// <summary>The settings builds act on (current names: SettingNames.Canonical maps the old ones).</summary>
    public static bool IsBuildOption(string name) => name is "sandbox" or "sandbox-paths" or "extra-sandbox-paths" or "max-jobs"
        or "cores" or "keep-going" or "keep-failed" or "system" or "sandbox-build-dir"
        or "substituters" or "extra-substituters" or "sandbox-fallback"
        or "trusted-public-keys" or "extra-trusted-public-keys" or "require-sigs" or "substitute" or "fallback"
        or "timeout" or "max-silent-time" or "max-build-log-size" or "keep-build-log" or "compress-build-log" or "log-lines";

    public void SetOption(string name, string value)
    {
        switch (Settings.SettingNames.Canonical(name))
        {
            case "max-jobs":
                MaxJobs = value == "auto" ? Environment.ProcessorCount
                    : int.TryParse(value, out var j) && j >= 0 ? j
                    : throw new UsageException("configuration setting 'max-jobs' should be 'auto' or an integer");
                break;
            case "cores":
                Cores = (int)Number(name, value, int.MaxValue);
                break;
            case "keep-going": KeepGoing = Bool(name, value); break;
            case "keep-failed": KeepFailed = Bool(name, value); break;
            case "sandbox":
                Sandbox = value switch
                {
                    "true" => SandboxMode.Enabled,
                    "false" => SandboxMode.Disabled,
                    "relaxed" => SandboxMode.Relaxed,
                    _ => throw new UsageException($"option 'sandbox' has invalid value '{value}'"),
                };
                break;
            // A plain setting replaces the whole list, extras added before it included, as in Nix.
            case "sandbox-paths": SandboxPathsValue = value; ExtraSandboxPaths.Clear(); break;
            case "extra-sandbox-paths": ExtraSandboxPaths.Add(value); break;
            case "system": System = value; break;
            case "timeout": Timeout = (int)Number(name, value, int.MaxValue); break;
            case "max-silent-time": MaxSilentTime = (int)Number(name, value, int.MaxValue); break;
            case "max-build-log-size": MaxLogSize = Number(name, value, long.MaxValue); break;
            case "keep-build-log": KeepLog = Bool(name, value); break;
            case "compress-build-log": CompressLog = Bool(name, value); break;
            case "log-lines": LogLines = (int)Number(name, value, int.MaxValue); break;
            case "sandbox-build-dir": SandboxBuildDir = value; break;
            case "substituters": Substituters = Words(value); ExtraSubstituters.Clear(); break;
            case "extra-substituters": ExtraSubstituters.AddRange(Words(value)); break;
            case "trusted-public-keys": TrustedPublicKeys = Keys(name, value); ExtraTrustedPublicKeys.Clear(); break;
            case "extra-trusted-public-keys": ExtraTrustedPublicKeys.Add(Keys(name, value)); break;
            case "require-sigs": RequireSigs = Bool(name, value); break;
            case "substitute": Substitute = Bool(name, value); break;
            case "fallback": Fallback = Bool(name, value); break;
            default: break; // sandbox-fallback and the like: nothing to do
        }
    }

    private static long Number(string name, string value, long max) =>
        long.TryParse(value, global::System.Globalization.NumberStyles.None, global::System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= max
            ? n
            : throw new UsageException($"setting '{name}' has invalid value '{value}'");

    private static List<string> Words(string value) => value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>A list of public keys, checked now so that a bad one is a usage error.</summary>
    private static string Keys(string name, string value)
    {
        try { Nixsharp.Formats.Signing.TrustedKeys.Parse(value); }
        catch (Nixsharp.Formats.Signing.SigningKeyException e) { throw new UsageException($"setting '{name}': {e.Message}"); }
        return value;
    }

    /// <summary>Nix's Boolean settings take true/yes/1 and false/no/0.</summary>
    public static bool Bool(string name, string value) => value switch
    {
        "true" or "yes" or "1" => true,
        "false" or "no" or "0" => false,
        _ => throw new UsageException($"Boolean setting '{name}' has invalid value '{value}'"),
    };

    private static string Need(string[] args, ref int i)
    {
        if (i + 1 >= args.Length) throw new UsageException($"flag '{args[i]}' requires an argument");
        return args[++i];
    }

    /// <summary>The settings for a run. Without sandbox-paths, the sandbox gets /bin/sh from a static
    /// busybox, imported into the store (as Nix's default gives /bin/sh from a store path).</summary>
    public BuildSettings ToSettings(LocalStore store, CliIo io, bool importShell)
    {
        List<SandboxPath> paths;
        try
        {
            if (SandboxPathsValue is not null) paths = SandboxPaths.Parse(SandboxPathsValue);
            else
            {
                paths = new List<SandboxPath>();
                if (importShell && Sandbox != SandboxMode.Disabled && File.Exists(DefaultShell))
                    // The host file behind the store path (elsewhere in a chroot store) is what gets mounted.
                    paths.Add(new SandboxPath("/bin/sh", store.ToRealPath(store.AddToStore("busybox", DefaultShell)), false));
            }
            foreach (var extra in ExtraSandboxPaths) paths.AddRange(SandboxPaths.Parse(extra));
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
        var tmp = io.GetEnv("TMPDIR") is { Length: > 0 } t ? t : "/tmp";
        return new BuildSettings
        {
            MaxJobs = MaxJobs,
            // Passed on as given, as Nix does: 0 tells builders to use every CPU.
            Cores = Cores ?? Environment.ProcessorCount,
            KeepGoing = KeepGoing,
            KeepFailed = KeepFailed,
            Sandbox = Sandbox,
            SandboxPaths = paths,
            SandboxBuildDir = SandboxBuildDir,
            System = System ?? "x86_64-linux",
            TempDir = tmp,
            Timeout = Timeout,
            MaxSilentTime = MaxSilentTime,
            MaxLogSize = MaxLogSize,
            KeepLog = KeepLog,
            CompressLog = CompressLog,
            VerboseBuild = VerboseBuild,
            LogLines = LogLines,
            Check = Check,
            Repair = Repair,
            Fallback = Fallback,
        };
    }

    /// <summary>A statically linked shell for /bin/sh in the sandbox (Debian's busybox-static).</summary>
    public const string DefaultShell = "/bin/busybox";

    /// <summary>Checks the sandbox-paths values without a store (before evaluating anything).</summary>
    public void Validate()
    {
        try
        {
            if (SandboxPathsValue is not null) SandboxPaths.Parse(SandboxPathsValue);
            foreach (var extra in ExtraSandboxPaths) SandboxPaths.Parse(extra);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Prints "this derivation will be built:" and the list, as nix-build and nix-store -r do.</summary>
    public static void PrintMissing(CliIo io, IReadOnlyList<string> willBuild)
    {
        if (willBuild.Count == 0) return;
        var sb = new StringBuilder();
        sb.Append(willBuild.Count == 1 ? "this derivation will be built:\n" : $"these {willBuild.Count} derivations will be built:\n");
        foreach (var p in willBuild) sb.Append("  ").Append(p).Append('\n');
        io.Err(Store.StoreCommand.Encode(sb.ToString()));
    }

    /// <summary>Nix's way of printing an error: "error: " and the message, later lines indented to line up.</summary>
    public static string FormatError(string message) =>
        "error: " + message.Replace("\n", "\n       ") + "\n";
}

/// <summary>Prints build progress, errors and builder output on standard error, one writer at a
/// time; on an interactive terminal (or with --log-format bar-with-logs) a status line under them
/// shows what is building.</summary>
public sealed class StderrBuildLog : IBuildLog
{
    private readonly CliIo _io;
    private readonly object _gate = new();
    /// <summary>Colour sequences in builder output are kept only for a terminal, as Nix does.</summary>
    private readonly bool _keepColours;
    private readonly BuildStatusLine? _status;

    private readonly bool _hideBuilderLines;

    public StderrBuildLog(CliIo io, bool? statusLine = null, bool hideBuilderLines = false)
    {
        _io = io;
        _keepColours = io.OwnsProcess && !Console.IsErrorRedirected;
        if (statusLine ?? BuildStatusLine.SuitsTerminal(io))
            _status = new BuildStatusLine(io.Stderr, () => Console.IsErrorRedirected ? 80 : Math.Max(20, Console.WindowWidth));
        _hideBuilderLines = hideBuilderLines && _status is not null;
    }

    public StderrBuildLog(CliIo io, BuildFlags flags) : this(io, flags.StatusLine, flags.HideBuilderLines) { }

    public void Info(string line)
    {
        lock (_gate)
        {
            _status?.Clear();
            _io.Err(Store.StoreCommand.Encode(line + "\n"));
            _status?.Draw();
        }
    }

    public void Error(string message)
    {
        lock (_gate)
        {
            _status?.Clear();
            _io.Err(Store.StoreCommand.Encode(BuildFlags.FormatError(message)));
            _status?.Draw();
        }
    }

    public void BuilderLine(string drvPath, ReadOnlySpan<byte> line)
    {
        var shown = LogLineFilter.Filter(line, _keepColours);
        lock (_gate)
        {
            _status?.Clear();
            if (!_hideBuilderLines)
            {
                _io.Stderr.Write(shown);
                _io.Stderr.WriteByte((byte)'\n');
            }
            if (_status is not null)
            {
                _status.LastLine(System.Text.Encoding.UTF8.GetString(_keepColours ? LogLineFilter.Filter(line, false) : shown));
                _status.Draw();
            }
            _io.Stderr.Flush();
        }
    }

    public void RunPlanned(int derivations) => Update(s => s.Planned(derivations));
    public void BuildStarted(string drvPath) => Update(s => s.Started(drvPath));
    public void BuildEnded(string drvPath, BuildStatus status) => Update(s => s.Ended(drvPath, status));

    private void Update(Action<BuildStatusLine> change)
    {
        if (_status is null) return;
        lock (_gate)
        {
            change(_status);
            _status.Draw();
        }
    }

    /// <summary>Takes the status line away at the end of the run, so that what follows (the output
    /// paths, an error) starts on a clean line.</summary>
    public void Finish()
    {
        if (_status is null) return;
        lock (_gate)
        {
            _status.Clear();
            _io.Stderr.Flush();
        }
    }
}
