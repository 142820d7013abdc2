// Realising derivations: find what must be built (a derivation whose wanted outputs are all valid
// is not looked into further, as in Nix), then build in dependency order with up to max-jobs
// builders at once. A failure fails the derivations that depend on it; without --keep-going the
// whole run stops at the first failure (running builders are killed), as Nix's worker does once a
// requested derivation has failed. Concurrent nixsharp (or Nix) processes building the same
// derivation are kept apart by the output path locks each build takes. With --check, the requested
// derivations are built again even though valid (their inputs as usual) and compared.
namespace Nixsharp.Builder.Scheduling;

using System.Collections.Concurrent;
using Nixsharp.Builder.Building;
using Nixsharp.Builder.Linux;
using Nixsharp.Formats.Derivations;
using Nixsharp.Store.Local;

/// <summary>A derivation to realise and which of its outputs are wanted (none listed: all).</summary>
public sealed record BuildRequest(string DrvPath, IReadOnlySet<string> Outputs)
{
    public static BuildRequest All(string drvPath) => new(drvPath, new HashSet<string>(StringComparer.Ordinal));
    public static BuildRequest Output(string drvPath, string output) => new(drvPath, new HashSet<string>(StringComparer.Ordinal) { output });
}

/// <summary>What a run did for each derivation it looked at.</summary>
public sealed record RealiseResult(IReadOnlyDictionary<string, BuildStatus> Statuses, int Built);

public sealed class Realiser
{
    private readonly LocalStore _store;
    private readonly BuildSettings _settings;
    private readonly IBuildLog _log;
    private readonly BuildEnvironmentHost _host;

    public Realiser(LocalStore store, BuildSettings settings, IBuildLog log, Func<string, string?> getEnv)
    {
        _store = store;
        _settings = settings;
        _log = log;
        _host = new BuildEnvironmentHost(settings, getEnv);
    }

    private sealed class Goal
    {
        public required string DrvPath;
        public required Derivation Drv;
        public readonly HashSet<string> Wanted = new(StringComparer.Ordinal);
        public bool WantsAll;
        public bool NeedsBuild;
        /// <summary>Requested with --check: rebuilt and compared whether or not valid.</summary>
        public bool Check;
        public bool IsTop;
        public readonly List<Goal> Dependencies = new();
        public readonly List<Goal> Dependents = new();
        public BuildStatus? Status;
        public string? Error;
        public int DependenciesLeft;
        public int DependenciesFailed;
        /// <summary>Nix orders its goals by derivation name, then path.</summary>
        public string Key => "b$" + DrvPath.Substring(DrvPath.LastIndexOf('/') + 34) + "$" + DrvPath;
        /// <summary>Whether a build of it is started: it is missing something, or it is checked.</summary>
        public bool Runs => NeedsBuild || Check;
    }

    private readonly Dictionary<string, Goal> _goals = new(StringComparer.Ordinal);

    /// <summary>The derivations that would be built, dependencies first (nix-build's "these N
    /// derivations will be built" list).</summary>
    public List<string> QueryMissing(IReadOnlyList<BuildRequest> requests)
    {
        LoadGraph(requests);
        var missing = _goals.Values.Where(g => g.NeedsBuild).Select(g => g.DrvPath);
        var sorted = _store.TopoSortPaths(missing);
        sorted.Reverse();
        return sorted;
    }

    private void LoadGraph(IReadOnlyList<BuildRequest> requests)
    {
        if (_goals.Count > 0) return;
        var todo = new Queue<(string DrvPath, IReadOnlySet<string> Outputs, bool Top)>();
        foreach (var r in requests) todo.Enqueue((r.DrvPath, r.Outputs, true));
        while (todo.Count > 0)
        {
            var (drvPath, outputs, top) = todo.Dequeue();
            if (!_goals.TryGetValue(drvPath, out var g))
            {
                if (!_store.IsValidPath(drvPath))
                    throw new RealiseException(1, $"path '{drvPath}' is not valid");
                _store.AddTempRoot(drvPath);
                var drv = _store.ReadDerivationFile(drvPath);
                // Requests come first in the queue, so a derivation checked is met first as one.
                g = new Goal { DrvPath = drvPath, Drv = drv, Check = top && _settings.Check };
                _goals[drvPath] = g;
                // Keep every output of every derivation looked at from the collector while we run.
                foreach (var o in drv.Outputs.Values)
                    if (o.Path.Length > 0) _store.AddTempRoot(o.Path);
            }
            g.IsTop |= top;
            bool grew = false;
            if (outputs.Count == 0) { grew = !g.WantsAll; g.WantsAll = true; }
            else foreach (var o in outputs)
            {
                if (!g.Drv.Outputs.ContainsKey(o))
                    throw new RealiseException(1, $"derivation '{drvPath}' does not have an output named '{o}'");
                grew |= g.Wanted.Add(o);
            }
            if (!grew || g.NeedsBuild) continue;
            bool allValid = g.Drv.Outputs.All(o =>
                !(g.WantsAll || g.Wanted.Contains(o.Key)) || (o.Value.Path.Length > 0 && _store.IsValidPath(o.Value.Path)));
            // What is missing is listed as to be built, checked or not (as Nix lists it); a check of
            // what is not valid fails without building its inputs.
            if (g.Check) { g.NeedsBuild = !allValid; if (!allValid) continue; }
            else if (allValid) continue;
            else g.NeedsBuild = true;
            foreach (var src in g.Drv.InputSrcs)
                if (!_store.IsValidPath(src))
                    throw new RealiseException(1, $"dependency '{src}' of '{drvPath}' does not exist, and substitution is disabled");
            foreach (var (dep, depOutputs) in g.Drv.InputDrvs)
                todo.Enqueue((dep, depOutputs, false));
        }
        // Edges between derivations that need building.
        foreach (var g in _goals.Values.Where(g => g.Runs))
            foreach (var dep in g.Drv.InputDrvs.Keys)
                if (_goals.TryGetValue(dep, out var d) && d.Runs)
                {
                    g.Dependencies.Add(d);
                    d.Dependents.Add(g);
                }
    }

    private sealed record Finished(Goal Goal, BuildStatus Status, string? Error);

    /// <summary>Builds what is missing. Throws RealiseException (with Nix's exit status) when anything failed.</summary>
    public RealiseResult Realise(IReadOnlyList<BuildRequest> requests)
    {
        LoadGraph(requests);
        // Builders get the permissions Nix gives them: files 0644, directories 0755 by default.
        NativeMethods.Umask(0x12 /* 022 */);

        var toBuild = _goals.Values.Where(g => g.Runs).ToList();
        foreach (var g in toBuild) g.DependenciesLeft = g.Dependencies.Count;
        // Ready derivations start in Nix's goal order (by name).
        var ready = new SortedSet<Goal>(Comparer<Goal>.Create((a, b) => string.CompareOrdinal(a.Key, b.Key)));
        foreach (var g in toBuild) if (g.DependenciesLeft == 0) ready.Add(g);

        var finished = new BlockingCollection<Finished>();
        var running = new Dictionary<Goal, CancellationTokenSource>();
        bool stopping = false;
        bool permanentFailure = false, hashMismatch = false, timedOut = false, notDeterministic = false;
        int built = 0;
        if (_settings.MaxJobs <= 0 && toBuild.Count > 0)
            throw new RealiseException(1, "unable to start any build; either increase '--max-jobs' or enable remote builds." +
                                          "\nhttps://nixos.org/manual/nix/stable/advanced-topics/distributed-builds.html");
        int maxJobs = _settings.MaxJobs;
        _log.RunPlanned(toBuild.Count);

        void Fail(Goal g, BuildStatus status, string message)
        {
            g.Status = status;
            g.Error = message;
            _log.BuildEnded(g.DrvPath, status);
            if (status == BuildStatus.PermanentFailure) permanentFailure = true;
            if (status == BuildStatus.HashMismatch) hashMismatch = true;
            if (status == BuildStatus.TimedOut) timedOut = true;
            if (status == BuildStatus.NotDeterministic) notDeterministic = true;
            // Errors of derivations others were waiting for are printed as they happen.
            if (g.Dependents.Count > 0 && status != BuildStatus.Cancelled) _log.Error(message);
            if (!_settings.KeepGoing) stopping = true;
            foreach (var d in g.Dependents)
            {
                if (d.Status is not null) continue;
                d.DependenciesFailed++;
                d.DependenciesLeft--;
                ready.Remove(d);
                // Without --keep-going a dependent gives up at once; with it, once all its inputs are done.
                if (!_settings.KeepGoing || d.DependenciesLeft == 0)
                    Fail(d, BuildStatus.DependencyFailed,
                        $"{d.DependenciesFailed} dependencies of derivation '{d.DrvPath}' failed to build");
            }
        }

        while (true)
        {
            while (!stopping && running.Count < maxJobs && ready.Count > 0)
            {
                var g = ready.Min!;
                ready.Remove(g);
                var cts = new CancellationTokenSource();
                running[g] = cts;
                StartBuild(g, cts.Token, finished);
            }
            if (running.Count == 0) break;
            var f = finished.Take();
            running.Remove(f.Goal, out var done);
            done?.Dispose();
            if (f.Status is BuildStatus.Built or BuildStatus.AlreadyValid)
            {
                f.Goal.Status = f.Status;
                _log.BuildEnded(f.Goal.DrvPath, f.Status);
                if (f.Status == BuildStatus.Built) built++;
                foreach (var d in f.Goal.Dependents)
                    if (d.Status is null && --d.DependenciesLeft == 0)
                    {
                        if (d.DependenciesFailed > 0)
                            Fail(d, BuildStatus.DependencyFailed, $"{d.DependenciesFailed} dependencies of derivation '{d.DrvPath}' failed to build");
                        else ready.Add(d);
                    }
            }
            else if (f.Status == BuildStatus.Cancelled)
            {
                f.Goal.Status = BuildStatus.Cancelled;
                _log.BuildEnded(f.Goal.DrvPath, BuildStatus.Cancelled);
            }
            else Fail(f.Goal, f.Status, f.Error!);

            if (stopping)
                // A failure ends the run: the other builders are killed.
                foreach (var (_, cts) in running) cts.Cancel();
        }

        var statuses = _goals.Values.ToDictionary(g => g.DrvPath, g => g.Status ?? (g.Runs ? BuildStatus.Cancelled : BuildStatus.AlreadyValid), StringComparer.Ordinal);
        var failedTops = _goals.Values.Where(g => g.IsTop && g.Runs && g.Status is not (BuildStatus.Built or BuildStatus.AlreadyValid))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (failedTops.Count == 0) return new RealiseResult(statuses, built);

        int exitStatus = ExitStatus(permanentFailure, hashMismatch, timedOut, notDeterministic);
        // A requested derivation that others also depended on has had its error printed already.
        var withErrors = failedTops.Where(g => g.Error is not null && g.Status != BuildStatus.Cancelled && g.Dependents.Count == 0).ToList();
        if (failedTops.Count == 1 && withErrors.Count == 1)
            throw new RealiseException(exitStatus, withErrors[0].Error!);
        // Nix keeps the first error (in goal order) and prints the others as it meets them, then that one.
        foreach (var g in withErrors.Skip(1)) _log.Error(g.Error!);
        if (withErrors.Count > 0) _log.Error(withErrors[0].Error!);
        throw new RealiseException(exitStatus,
            $"build of {string.Join(", ", failedTops.Select(g => g.DrvPath).Order(StringComparer.Ordinal).Select(p => $"'{p}'"))} failed");
    }

    /// <summary>Nix's exit status: 0x60 plus 4 for a build failure (a timeout and a hash mismatch
    /// count as one), 1 for a timeout, 2 for a hash mismatch, 8 for a check that found a difference;
    /// 1 for other failures.</summary>
    private static int ExitStatus(bool permanentFailure, bool hashMismatch, bool timedOut, bool notDeterministic)
    {
        int mask = 0;
        if (permanentFailure || hashMismatch || timedOut) mask |= 0x04;
        if (timedOut) mask |= 0x01;
        if (hashMismatch) mask |= 0x02;
        if (notDeterministic) mask |= 0x08;
        return mask == 0 ? 1 : mask | 0x60;
    }

    private void StartBuild(Goal g, CancellationToken cancel, BlockingCollection<Finished> finished)
    {
        var inputOutputs = new List<string>();
        foreach (var (dep, outs) in g.Drv.InputDrvs)
        {
            var depDrv = _goals.TryGetValue(dep, out var dg) ? dg.Drv : _store.ReadDerivationFile(dep);
            foreach (var o in outs)
            {
                if (!depDrv.Outputs.TryGetValue(o, out var output) || output.Path.Length == 0)
                    throw new RealiseException(1, $"derivation '{g.DrvPath}' requires non-existent output '{o}' from input derivation '{dep}'");
                inputOutputs.Add(output.Path);
            }
        }
        var wanted = g.WantsAll ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(g.Wanted, StringComparer.Ordinal);
        var build = new DerivationBuild(_store, _settings, _log, _host, g.DrvPath, g.Drv, wanted, inputOutputs, g.Check);
        // One thread per builder: the builder is a process, the thread waits for it.
        var t = new Thread(() =>
        {
            try
            {
                // Announced when the builder is about to start (after any wait for locks), as Nix does.
                var status = build.Run(cancel, () =>
                {
                    _log.Info(g.Check ? $"checking outputs of '{g.DrvPath}'..." : $"building '{g.DrvPath}'...");
                    _log.BuildStarted(g.DrvPath);
                });
                finished.Add(new Finished(g, status, null));
            }
            catch (OperationCanceledException)
            {
                finished.Add(new Finished(g, BuildStatus.Cancelled, null));
            }
            catch (BuildException e)
            {
                finished.Add(new Finished(g, cancel.IsCancellationRequested ? BuildStatus.Cancelled : e.Status, e.Message));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreException
                                          or Nixsharp.Store.Database.StoreDatabaseException)
            {
                finished.Add(new Finished(g, BuildStatus.MiscFailure, e.Message));
            }
            catch (Exception e)
            {
                // A bug, not a build failure; still reported as this derivation's failure, since an
                // exception escaping this thread would end the process with builders running.
                finished.Add(new Finished(g, BuildStatus.MiscFailure,
                    $"internal error in nixsharp while building '{g.DrvPath}' ({e.GetType().Name}: {e.Message}); please report it"));
            }
        }) { IsBackground = true, Name = "build " + g.DrvPath };
        t.Start();
    }
}
