// Building one derivation, as Nix 2.8's LocalDerivationGoal does: lock the output paths, look
// again whether someone else built them meanwhile, clear leftovers, prepare the build directory and
// environment, run the builder (in the sandbox unless told otherwise; its output stored as the
// derivation's log; killed when it runs or stays silent too long or writes too much), then hand the
// outputs to OutputRegistration. Nothing becomes valid unless every step succeeds; whatever a
// failure or a kill leaves behind is invalid and is cleared by the next attempt. A check (--check)
// rebuilds a derivation whose outputs are valid, in the sandbox, and compares instead.
namespace Nixsharp.Builder.Building;

using System.Text;
using System.Text.RegularExpressions;
using Nixsharp.Builder.Linux;
using Nixsharp.Builder.Outputs;
using Nixsharp.Formats.Derivations;
using Nixsharp.Store.Local;

internal sealed partial class DerivationBuild
{
    private readonly LocalStore _store;
    private readonly BuildSettings _settings;
    private readonly IBuildLog _log;
    private readonly BuildEnvironmentHost _host;
    public string DrvPath { get; }
    public Derivation Drv { get; }
    private readonly IReadOnlySet<string> _wantedOutputs;
    /// <summary>Paths of the input derivations' outputs this derivation uses.</summary>
    private readonly IReadOnlyCollection<string> _inputDrvOutputPaths;
    /// <summary>Rebuild and compare with the valid outputs (--check) rather than build.</summary>
    private readonly bool _check;
    /// <summary>Valid outputs whose contents are damaged (--repair): rebuilt in the sandbox and
    /// swapped in. Null when not repairing.</summary>
    private readonly IReadOnlySet<string>? _repairPaths;

    public DerivationBuild(LocalStore store, BuildSettings settings, IBuildLog log, BuildEnvironmentHost host,
        string drvPath, Derivation drv, IReadOnlySet<string> wantedOutputs, IReadOnlyCollection<string> inputDrvOutputPaths, bool check = false,
        IReadOnlySet<string>? repairPaths = null)
    {
        _store = store; _settings = settings; _log = log; _host = host;
        DrvPath = drvPath; Drv = drv; _wantedOutputs = wantedOutputs; _inputDrvOutputPaths = inputDrvOutputPaths; _check = check;
        _repairPaths = repairPaths is { Count: > 0 } ? repairPaths : null;
    }

    /// <summary>The derivation with the outputs wanted of it, as Nix names a build in its errors ("DRV!out", "DRV!*").</summary>
    private string DrvPathWithOutputs =>
        DrvPath + "!" + (_wantedOutputs.Count == 0 ? "*" : string.Join(",", _wantedOutputs.Order(StringComparer.Ordinal)));

    private string DrvBaseName => DrvPath.Substring(DrvPath.LastIndexOf('/') + 1);
    /// <summary>The name part of the .drv's store path ("hello-1.0.drv").</summary>
    private string DrvPathName => DrvBaseName.Substring(33);

    /// <summary>Builds the derivation (or finds its outputs valid). Throws BuildException on failure.</summary>
    public BuildStatus Run(CancellationToken cancel, Action starting)
    {
        var outputs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, o) in Drv.Outputs)
        {
            if (o.Path.Length == 0)
                throw new BuildException(BuildStatus.MiscFailure,
                    $"derivation '{DrvPath}' has an output without a known path (content-addressed derivations are not supported yet)");
            outputs[name] = o.Path;
        }
        var realOutputs = outputs.Values.Select(_store.ToRealPath).ToList();

        // Lock the outputs; whoever holds them is building them, and we may find them valid after.
        var locks = PathLocks.Acquire(realOutputs, wait: false);
        if (locks is null)
        {
            _log.Info($"waiting for lock on {string.Join(", ", realOutputs.Select(p => $"'{p}'"))}");
            locks = PathLocks.Acquire(realOutputs, wait: true)!;
        }
        using (locks)
        {
            if (_check)
            {
                if (!WantedOutputsValid(outputs))
                    throw new BuildException(BuildStatus.MiscFailure, $"some outputs of '{DrvPath}' are not valid, so checking is not possible");
            }
            else if (_repairPaths is null && WantedOutputsValid(outputs))
            {
                // Someone beat us to it; the lock files can go, as every later locker sees valid paths.
                locks.SetDeletion(true);
                return BuildStatus.AlreadyValid;
            }
            // Leftovers of an interrupted build are not valid: clear them.
            foreach (var (_, path) in outputs)
                if (!_store.IsValidPath(path)) StoreFiles.DeleteTree(_store.ToRealPath(path));

            starting();
            BuildLocked(outputs, cancel);
            locks.SetDeletion(true);
            return BuildStatus.Built;
        }
    }

    private bool WantedOutputsValid(IReadOnlyDictionary<string, string> outputs)
    {
        foreach (var (name, path) in outputs)
            if ((_wantedOutputs.Count == 0 || _wantedOutputs.Contains(name)) && !_store.IsValidPath(path)) return false;
        return true;
    }

    private void BuildLocked(SortedDictionary<string, string> outputs, CancellationToken cancel)
    {
        var options = new DerivationOptions(DrvPath, Drv);
        CheckPlatform(options);
        if (Drv.Builder.StartsWith("builtin:", StringComparison.Ordinal))
        {
            BuildBuiltin(outputs, options);
            return;
        }

        // The input closure: the outputs used of the input derivations and the input sources.
        var inputPaths = _store.ComputeClosure(_inputDrvOutputPaths.Concat(Drv.InputSrcs));
        foreach (var p in inputPaths) _store.AddTempRoot(p);

        bool useSandbox = DecideSandbox(options);
        var buildDir = CreateBuildDir();
        var buildDirInBuilder = useSandbox ? _settings.SandboxBuildDir : buildDir;
        string? chroot = null;
        bool succeeded = false;
        BuilderOutputSink? sink = null;
        try
        {
            var env = BuilderEnvironment.Create(Drv, options, _store.StoreDir, _settings.Cores, buildDir, buildDirInBuilder, outputs, _host.GetEnv);
            if (options.StructuredAttrs is null) WriteExportedReferencesGraphs(buildDir, inputPaths);

            // The log is started just before the builder, replacing an earlier build's (a check's too, as in Nix).
            BuilderOutputSink OpenSink() => sink = new BuilderOutputSink(DrvPath,
                _settings.KeepLog ? BuildLogs.Create(_store.Layout, DrvPath, _settings.CompressLog) : null,
                _settings.VerboseBuild ? _log : null, _settings.MaxLogSize, _settings.LogLines);
            BuilderProcess process;
            if (useSandbox)
            {
                chroot = _store.ToRealPath(DrvPath) + ".chroot";
                StoreFiles.DeleteTree(chroot);
                var layout = PrepareSandbox(chroot, buildDir, inputPaths, outputs);
                var bwrap = _host.Bwrap();
                var argv0 = _host.BwrapSupportsArgv0 ? BaseName(Drv.Builder) : null;
                process = StartOnThisThread(bwrap, fd => BubblewrapSandbox.Arguments(layout, Drv.Builder, Drv.Args, argv0, fd), env, "/",
                    OpenSink(), SeccompFilter.CreateInheritableFd);
            }
            else if (_check)
                throw new BuildException(BuildStatus.MiscFailure,
                    $"cannot check '{DrvPath}' without the sandbox: nixsharp rebuilds valid outputs only in the sandbox " +
                    "(it does not rewrite output paths yet); check it with '--option sandbox true'");
            else if (_repairPaths is not null)
                throw new BuildException(BuildStatus.MiscFailure,
                    $"cannot repair the outputs of '{DrvPath}' without the sandbox: nixsharp rebuilds valid outputs only in the sandbox " +
                    "(it does not rewrite output paths yet); repair with '--option sandbox true'");
            else
            {
                // Without a sandbox the builder writes straight into the store: a valid output must
                // not be there for it to overwrite (Nix would build into other paths and rewrite them).
                if (outputs.Values.FirstOrDefault(_store.IsValidPath) is { } valid)
                    throw new BuildException(BuildStatus.MiscFailure,
                        $"cannot build '{DrvPath}' without the sandbox while its output '{valid}' is valid " +
                        "(nixsharp does not rewrite output paths yet); build it in the sandbox");
                if (Directory.Exists(BuilderEnvironment.HomeDir))
                    throw new BuildException(BuildStatus.MiscFailure,
                        $"home directory '{BuilderEnvironment.HomeDir}' exists; please remove it to assure purity of builds without sandboxing");
                if (!File.Exists(Drv.Builder))
                    throw new BuildException(BuildStatus.MiscFailure, $"executing '{Drv.Builder}': No such file or directory");
                process = StartOnThisThread(Drv.Builder, _ => Drv.Args, env, buildDir, OpenSink());
            }

            BuilderExit exit;
            using (process) exit = process.Wait(cancel, _settings.Timeout, _settings.MaxSilentTime);
            sink!.Finish();
            if (sink.LogFileError is { } logError)
                _log.Info($"warning: the build log of '{DrvPath}' is incomplete: {logError}");
            switch (exit.KilledFor)
            {
                case BuilderKill.Timeout:
                    throw new BuildException(BuildStatus.TimedOut,
                        $"building of '{DrvPathWithOutputs}' from .drv file timed out after {_settings.Timeout} seconds");
                case BuilderKill.Silence:
                    throw new BuildException(BuildStatus.TimedOut,
                        $"building of '{DrvPathWithOutputs}' from .drv file timed out after {_settings.MaxSilentTime} seconds of silence");
                case BuilderKill.OutputRefused:
                    throw new BuildException(BuildStatus.LogLimitExceeded,
                        $"building of '{DrvPathWithOutputs}' from .drv file killed after writing more than {_settings.MaxLogSize} bytes of log output");
            }
            if (exit.ExitCode != 0)
            {
                // A fixed-output build may fail for outside reasons (the network): not permanent.
                var status = Drv.IsFixedOutput || !useSandbox ? BuildStatus.TransientFailure : BuildStatus.PermanentFailure;
                // Output that was not shown as it came ends the error instead.
                var tail = _settings.VerboseBuild ? "" : sink.TailForError();
                throw new BuildException(status, $"builder for '{DrvPath}' {DescribeExit(exit.ExitCode, useSandbox)}{tail}");
            }

            var registration = new OutputRegistration(_store, DrvPath, Drv, options, inputPaths, outputs,
                name => chroot is not null ? chroot + outputs[name] : _store.ToRealPath(outputs[name]));
            if (_check) registration.CompareWithValid(keepDifferent: _settings.KeepFailed);
            if (_repairPaths is not null) registration.ReplaceDamaged(_repairPaths);
            registration.Run();
            succeeded = true;
        }
        finally
        {
            sink?.Dispose();
            if (chroot is not null)
                try { StoreFiles.DeleteTree(chroot); } catch (IOException) { }
            if (!succeeded && _settings.KeepFailed && !cancel.IsCancellationRequested)
            {
                _log.Info($"note: keeping build directory '{buildDir}'");
                try { File.SetUnixFileMode(buildDir, (UnixFileMode)0b111_101_101); } catch (IOException) { }
            }
            else
                try { StoreFiles.DeleteTree(buildDir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A builtin builder runs here, in-process, writing straight into the store's real
    /// paths (the outputs are locked and were cleared). Its error goes to the build log, and the
    /// build fails as a builder exiting with status 1 would.</summary>
    private void BuildBuiltin(SortedDictionary<string, string> outputs, DerivationOptions options)
    {
        var name = Drv.Builder.Substring("builtin:".Length);
        if (name != "fetchurl")
            throw new BuildException(BuildStatus.MiscFailure,
                $"builtin builder '{name}' of '{DrvPath}' is not supported yet (nixsharp has builtin:fetchurl only)");
        if (!outputs.TryGetValue("out", out var outPath))
            throw new BuildException(BuildStatus.MiscFailure, $"builtin:fetchurl derivation '{DrvPath}' has no output 'out'");
        var real = _store.ToRealPath(outPath);
        // A damaged valid output is fetched beside it and swapped in once checked.
        bool repairing = _repairPaths is not null && _repairPaths.Contains(outPath);
        if (repairing)
        {
            real += LocalStore.RepairSuffix;
            StoreFiles.DeleteTree(real);
        }
        // Sandboxed, Nix runs the fetcher in the sandbox: local files are those the sandbox shows.
        bool sandboxed = DecideSandbox(options);
        // What the fetcher says goes where a builder's output goes: the terminal and the build log.
        using var sink = new BuilderOutputSink(DrvPath,
            _settings.KeepLog ? BuildLogs.Create(_store.Layout, DrvPath, _settings.CompressLog) : null,
            _settings.VerboseBuild ? _log : null, _settings.MaxLogSize, _settings.LogLines);
        void Say(byte[] bytes) => sink.Receive(bytes, bytes.Length);
        try
        {
            BuiltinFetchurl.Run(Drv, real, sandboxed ? _settings.SandboxPaths : null,
                warning => Say(System.Text.Encoding.UTF8.GetBytes("warning: " + warning + "\n")));
            sink.Finish();
        }
        catch (Exception e) when (e is Nixsharp.Store.Fetching.FetchException or IOException or UnauthorizedAccessException
                                      or InvalidDataException or FormatException)
        {
            Say(BuiltinFetchurl.ErrorLine(e.Message));
            sink.Finish();
            StoreFiles.DeleteTree(real);
            throw new BuildException(BuildStatus.TransientFailure, $"builder for '{DrvPath}' failed with exit code 1");
        }
        var registration = new OutputRegistration(_store, DrvPath, Drv, options, new HashSet<string>(StringComparer.Ordinal), outputs,
            o => repairing ? real : _store.ToRealPath(outputs[o]));
        if (repairing) registration.ReplaceDamaged(new HashSet<string>(StringComparer.Ordinal) { outPath });
        registration.Run();
    }

    private static BuilderProcess StartOnThisThread(string program, Func<int?, IEnumerable<string>> args, IReadOnlyDictionary<string, string> env, string cwd,
        BuilderOutputSink sink, Func<int>? inheritedFd = null)
    {
        // Personality (no address-space randomisation) is per thread and inherited by children.
        NativeMethods.DisableAddressRandomisationForChildren();
        return BuilderProcess.Start(program, args, env, cwd, sink.Receive, inheritedFd);
    }

    private static string DescribeExit(int exitCode, bool sandboxed)
    {
        // bwrap (and .NET) report a builder killed by signal N as exit code 128 + N.
        if (exitCode > 128 && exitCode < 128 + 32 && SignalNames.TryGetValue(exitCode - 128, out var name))
            return $"failed due to signal {exitCode - 128} ({name})";
        return $"failed with exit code {exitCode}";
    }

    private static readonly Dictionary<int, string> SignalNames = new()
    {
        [1] = "Hangup", [2] = "Interrupt", [3] = "Quit", [4] = "Illegal instruction", [5] = "Trace/breakpoint trap",
        [6] = "Aborted", [7] = "Bus error", [8] = "Floating point exception", [9] = "Killed", [11] = "Segmentation fault",
        [13] = "Broken pipe", [14] = "Alarm clock", [15] = "Terminated", [24] = "CPU time limit exceeded",
        [25] = "File size limit exceeded",
    };

    private static string BaseName(string path) => path.Substring(path.LastIndexOf('/') + 1);

    private void CheckPlatform(DerivationOptions options)
    {
        var features = _settings.SystemFeatures ?? DefaultSystemFeatures();
        var required = options.RequiredSystemFeatures;
        bool platformOk = Drv.Platform == _settings.System || _settings.ExtraPlatforms.Contains(Drv.Platform)
                          || Drv.Builder.StartsWith("builtin:", StringComparison.Ordinal);
        if (!platformOk || !required.All(features.Contains))
            throw new BuildException(BuildStatus.MiscFailure,
                $"a '{Drv.Platform}' with features {{{string.Join(", ", required.Order(StringComparer.Ordinal))}}} is required to build '{DrvPath}', " +
                $"but I am a '{_settings.System}' with features {{{string.Join(", ", features.Order(StringComparer.Ordinal))}}}");
    }

    public static IReadOnlyCollection<string> DefaultSystemFeatures()
    {
        var f = new List<string> { "nixos-test", "benchmark", "big-parallel" };
        try
        {
            using var kvm = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            f.Add("kvm");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return f;
    }

    private bool DecideSandbox(DerivationOptions options)
    {
        bool noChroot = options.GetBool("__noChroot");
        bool use = _settings.Sandbox switch
        {
            SandboxMode.Enabled => noChroot
                ? throw new BuildException(BuildStatus.MiscFailure,
                    $"derivation '{DrvPath}' has '__noChroot' set, but that's not allowed when 'sandbox' is 'true'")
                : true,
            SandboxMode.Relaxed => !Drv.IsFixedOutput && !noChroot,
            _ => false,
        };
        // A store whose files live elsewhere than its paths say can only be built into through a
        // sandbox, where the logical store directory exists (as in Nix).
        if (_store.Layout.RealStoreDir != _store.StoreDir) use = true;
        return use;
    }

    /// <summary>A fresh directory named as Nix names them: $TMPDIR/nix-build-NAME.drv-N, mode 0700.</summary>
    private string CreateBuildDir()
    {
        Directory.CreateDirectory(_settings.TempDir);
        for (int n = 0; ; n++)
        {
            var dir = Path.Combine(_settings.TempDir, $"nix-build-{DrvPathName}-{n}");
            if (NativeMethods.TryMkdir(dir, 0b111_000_000))
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_000_000); // whatever the umask
                return dir;
            }
        }
    }

    private SandboxLayout PrepareSandbox(string chroot, string buildDir, HashSet<string> inputPaths, IReadOnlyDictionary<string, string> outputs)
    {
        var extra = BubblewrapSandbox.PrepareChroot(chroot, _store.StoreDir, _settings.SandboxBuildDir, privateNetwork: !Drv.IsFixedOutput);
        var binds = new Dictionary<string, SandboxPath>(StringComparer.Ordinal);
        var symlinks = new Dictionary<string, string>(StringComparer.Ordinal);
        var storePathsInSandbox = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in _settings.SandboxPaths)
        {
            if (!p.Optional && !Path.Exists(p.Source))
                throw new BuildException(BuildStatus.MiscFailure, $"getting attributes of path '{p.Source}': No such file or directory");
            binds[p.Target] = p;
            // Store paths named by sandbox-paths come with their closure.
            if (p.Source.StartsWith(_store.StoreDir + "/", StringComparison.Ordinal))
            {
                try { storePathsInSandbox.UnionWith(_store.ComputeClosure(new[] { _store.ToStorePath(p.Source) })); }
                catch (StoreException) { }
            }
        }
        foreach (var p in extra) binds[p.Target] = p;
        storePathsInSandbox.UnionWith(inputPaths);
        // Outputs are built here, never mounted from the host (an output can be in sandbox-paths' closure).
        foreach (var o in outputs.Values) storePathsInSandbox.Remove(o);
        foreach (var p in storePathsInSandbox)
        {
            var real = _store.ToRealPath(p);
            var st = NativeMethods.LStat(real);
            if (st is { IsSymlink: true }) symlinks[p] = new FileInfo(real).LinkTarget!;
            else binds[p] = new SandboxPath(p, real, Optional: false);
        }
        return new SandboxLayout
        {
            ChrootDir = chroot,
            StoreDir = _store.StoreDir,
            BuildDirOnHost = buildDir,
            BuildDirInSandbox = _settings.SandboxBuildDir,
            ReadOnlyPaths = binds.Values.ToList(),
            Symlinks = symlinks,
            PrivateNetwork = !Drv.IsFixedOutput,
        };
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*$")]
    private static partial Regex ExportFileName();

    /// <summary>exportReferencesGraph: for each (file name, store path) pair, the closure of the path
    /// written into the build directory in nix-store --register-validity's format.</summary>
    private void WriteExportedReferencesGraphs(string buildDir, HashSet<string> inputPaths)
    {
        if (!Drv.Env.TryGetValue("exportReferencesGraph", out var spec)) return;
        var words = DerivationOptions.Words(spec);
        if (words.Count % 2 != 0)
            throw new BuildException(BuildStatus.MiscFailure, $"odd number of tokens in 'exportReferencesGraph': '{spec}'");
        for (int i = 0; i < words.Count; i += 2)
        {
            var fileName = words[i];
            if (!ExportFileName().IsMatch(fileName))
                throw new BuildException(BuildStatus.MiscFailure, $"invalid file name '{fileName}' in 'exportReferencesGraph'");
            var pathText = words[i + 1];
            string storePath;
            try { storePath = _store.ToStorePath(pathText); }
            catch (StoreException) { throw new BuildException(BuildStatus.MiscFailure, $"'exportReferencesGraph' contains a non-store path '{pathText}'"); }
            if (!inputPaths.Contains(storePath))
                throw new BuildException(BuildStatus.MiscFailure,
                    $"cannot export references of path '{storePath}' because it is not in the input closure of the derivation");
            var closure = _store.ComputeClosure(new[] { storePath });
            foreach (var p in closure.ToList())
                if (p.EndsWith(".drv", StringComparison.Ordinal))
                    foreach (var o in _store.ReadDerivationFile(p).Outputs.Values)
                        if (o.Path.Length > 0) closure.UnionWith(_store.ComputeClosure(new[] { o.Path }));
            var sb = new StringBuilder();
            foreach (var p in closure.Order(StringComparer.Ordinal))
            {
                var info = _store.QueryPathInfo(p);
                if (info is null) continue;
                sb.Append(p).Append('\n').Append('\n').Append(info.References.Count).Append('\n');
                foreach (var r in info.References) sb.Append(r).Append('\n');
            }
            File.WriteAllText(Path.Combine(buildDir, fileName), sb.ToString());
        }
    }
}

/// <summary>What a build needs from the machine: the caller's environment (for impureEnvVars and
/// finding bwrap) and the bubblewrap executable, looked up once per run.</summary>
internal sealed class BuildEnvironmentHost
{
    private readonly BuildSettings _settings;
    public Func<string, string?> GetEnv { get; }
    private readonly Lazy<string?> _bwrap;
    private readonly Lazy<bool> _argv0;

    public BuildEnvironmentHost(BuildSettings settings, Func<string, string?> getEnv)
    {
        _settings = settings;
        GetEnv = getEnv;
        _bwrap = new Lazy<string?>(() => BubblewrapSandbox.Find(settings.BwrapPath, getEnv));
        _argv0 = new Lazy<bool>(() => _bwrap.Value is { } b && BubblewrapSandbox.SupportsArgv0(b));
    }

    public string Bwrap() => _bwrap.Value ?? throw new BuildException(BuildStatus.MiscFailure,
        "sandboxed builds need bubblewrap ('bwrap'), which was not found" +
        (_settings.BwrapPath is null ? " on PATH" : $" at '{_settings.BwrapPath}'") +
        "; install it (Debian: apt-get install bubblewrap) or build with '--option sandbox false'");

    public bool BwrapSupportsArgv0 => _argv0.Value;
}
