// The build settings shared by `build` and `store realise`: max-jobs, cores, keep-going,
// keep-failed, dry-run and the sandbox options, from flags and `--option NAME VALUE` as Nix names
// them; and the log that prints what builds do on standard error.
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

    public const string Help =
        "  --max-jobs, -j N    run up to N builders at once ('auto': one per CPU; default 1)\n" +
        "  --cores N           NIX_BUILD_CORES for builders (0 means all CPUs; default: the CPU count)\n" +
        "  --keep-going, -k    go on with other builds after a failure\n" +
        "  --keep-failed, -K   keep the build directory of a failed build\n" +
        "  --dry-run           print what would be built, build nothing\n" +
        "  --no-sandbox        build without the sandbox (same as --option sandbox false)\n" +
        "  --option NAME VAL   a Nix setting: sandbox (true/false/relaxed), sandbox-paths,\n" +
        "                      extra-sandbox-paths, max-jobs, cores, keep-going, keep-failed,\n" +
        "                      system, sandbox-build-dir\n";

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
            case "--option":
            {
                if (i + 2 >= args.Length) return false;
                if (!IsBuildOption(args[i + 1])) return false;
                var name = args[++i];
                SetOption(name, args[++i]);
                return true;
            }
        }
        return false;
    }

    private static bool IsBuildOption(string name) => name is "sandbox" or "sandbox-paths" or "extra-sandbox-paths" or "max-jobs"
        or "cores" or "keep-going" or "keep-failed" or "system" or "sandbox-build-dir" or "build-use-sandbox"
        or "substituters" or "extra-substituters" or "sandbox-fallback";

    public void SetOption(string name, string value)
    {
        switch (name)
        {
            case "max-jobs":
                MaxJobs = value == "auto" ? Environment.ProcessorCount
                    : int.TryParse(value, out var j) && j >= 0 ? j
                    : throw new UsageException($"invalid value '{value}' for option max-jobs");
                break;
            case "cores":
                Cores = int.TryParse(value, out var c) && c >= 0 ? c : throw new UsageException($"invalid value '{value}' for option cores");
                break;
            case "keep-going": KeepGoing = Bool(name, value); break;
            case "keep-failed": KeepFailed = Bool(name, value); break;
            case "sandbox":
            case "build-use-sandbox":
                Sandbox = value switch
                {
                    "true" => SandboxMode.Enabled,
                    "false" => SandboxMode.Disabled,
                    "relaxed" => SandboxMode.Relaxed,
                    _ => throw new UsageException($"option 'sandbox' has invalid value '{value}'"),
                };
                break;
            case "sandbox-paths": SandboxPathsValue = value; break;
            case "extra-sandbox-paths": ExtraSandboxPaths.Add(value); break;
            case "system": System = value; break;
            case "sandbox-build-dir": SandboxBuildDir = value; break;
            default: break; // substituters and the like: nothing to substitute from yet
        }
    }

    private static bool Bool(string name, string value) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw new UsageException($"option '{name}' has invalid value '{value}'"),
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
                    // Bound from where the file is: in a chroot store, under its root directory.
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

/// <summary>Prints build progress, errors and builder output on standard error, one writer at a time.</summary>
public sealed class StderrBuildLog : IBuildLog
{
    private readonly CliIo _io;
    private readonly object _gate = new();
    public StderrBuildLog(CliIo io) { _io = io; }

    public void Info(string line)
    {
        lock (_gate) _io.Err(Store.StoreCommand.Encode(line + "\n"));
    }

    public void Error(string message)
    {
        lock (_gate) _io.Err(Store.StoreCommand.Encode(BuildFlags.FormatError(message)));
    }

    public void BuilderOutput(string drvPath, ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            _io.Stderr.Write(bytes);
            _io.Stderr.Flush();
        }
    }
}
