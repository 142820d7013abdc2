// Realising derivations: find what must be built (a derivation whose wanted outputs are all valid
// is not looked into further, as in Nix), then build in dependency order with up to max-jobs
// builders at once. A failure fails the derivations that depend on it; without --keep-going the
// whole run stops at the first failure (running builders are killed), as Nix's worker does once a
// requested derivation has failed. Concurrent nixsharp (or Nix) processes building the same
// derivation are kept apart by the output path locks each build takes. With --check, the requested
// derivations are built again even though valid (their inputs as usual) and compared.
// With substituters, a derivation whose wanted outputs can all be fetched is not built, and its
// inputs are not looked at (see PathSubstituter.cs); what is fetched is fetched before any build.
// With --repair, the valid outputs of each derivation looked at are hashed; a damaged one is
// fetched again from a substituter, or else its derivation is rebuilt in the sandbox (its inputs
// looked at the same way) and the damaged outputs swapped for the rebuilt ones.
namespace Nixsharp.Builder.Scheduling;

using System.Collections.Concurrent;
using Nixsharp.Builder.Building;
using Nixsharp.Builder.Linux;
using Nixsharp.Formats.Derivations;
using Nixsharp.Store.Local;
using Nixsharp.Store.Substitution;

/// <summary>A derivation to realise and which of its outputs are wanted (none listed: all).</summary>
public sealed record BuildRequest(string DrvPath, IReadOnlySet<string> Outputs)
{
    public static BuildRequest All(string drvPath) => new(drvPath, new HashSet<string>(StringComparer.Ordinal));
    public static BuildRequest Output(string drvPath, string output) => new(drvPath, new HashSet<string>(StringComparer.Ordinal) { output });
}

/// <summary>What a run did for each derivation it looked at.</summary>
public sealed record RealiseResult(IReadOnlyDictionary<string, BuildStatus> Statuses, int Built);

/// <summary>What a run would do (nix-build's "will be built" / "will be fetched" lists):
/// derivations to build (dependencies first), paths to fetch (sorted) with their total download
/// and NAR sizes, and paths that can be neither built nor fetched (sorted).</summary>
public sealed record MissingPaths(IReadOnlyList<string> WillBuild, IReadOnlyList<string> WillSubstitute,
    IReadOnlyList<string> Unknown, long DownloadSize, long NarSize);

public sealed class Realiser
{
    private readonly LocalStore _store;
    private readonly BuildSettings _settings;
    private readonly IBuildLog _log;
    private readonly BuildEnvironmentHost _host;
    /// <summary>Where outputs may be fetched from instead of built; null: substitution is off.</summary>
    private readonly PathSubstituter? _substituter;

    public Realiser(LocalStore store, BuildSettings settings, IBuildLog log, Func<string, string?> getEnv,
        SubstituterSet? substituters = null)
        : this(store, settings, log, getEnv, substituters is { IsEmpty: false } ? new PathSubstituter(store, substituters, log) : null)
    {
    }

    /// <param name="substituter">Shared with other runs (a repair run after a repair from a
    /// substituter failed), so that what was tried is not tried again.</param>
    public Realiser(LocalStore store, BuildSettings settings, IBuildLog log, Func<string, string?> getEnv, PathSubstituter? substituter)
    {
        _store = store;
        _settings = settings;
        _log = log;
        _host = new BuildEnvironmentHost(settings, getEnv);
        _substituter = substituter;
    }

    /// <summary>What hashing each path this run found (--repair): each is checked once.</summary>
    private readonly Dictionary<string, bool> _contentsGood = new(StringComparer.Ordinal);

    /// <summary>Whether valid `path`'s contents are as recorded, said as Nix says it.</summary>
    private bool ContentsGood(string path)
    {
        if (_contentsGood.TryGetValue(path, out var known)) return known;
        _log.Info($"checking path '{path}'...");
        bool good = _store.ContentsGood(path);
        if (!good) _log.Info($"path '{path}' is corrupted or missing!");
        return _contentsGood[path] = good;
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
        /// <summary>Valid wanted outputs found damaged (--repair) that no substituter could put
        /// back: rebuilt and swapped in.</summary>
        public readonly HashSet<string> Damaged = new(StringComparer.Ordinal);
        public bool IsTop;
        public readonly List<Goal> Dependencies = new();
        public readonly List<Goal> Dependents = new();
        public BuildStatus? Status;
        public string? Error;
        public int DependenciesLeft;
        public int DependenciesFailed;
        /// <summary>Its wanted outputs were fetched (or, when only querying, can be).</summary>
        public bool Substituted;
        /// <summary>Some output could not be fetched for want of a path in its closure: once its
        /// inputs are built, fetching is tried again before building (as Nix does).</summary>
        public bool RetrySubstitution;
        /// <summary>Fetching an output failed and --fallback is off: it fails with this, unbuilt.</summary>
        public string? SubstitutionError;
        /// <summary>Nix orders its goals by derivation name, then path.</summary>
        public string Key => "b$" + DrvPath.Substring(DrvPath.LastIndexOf('/') + 34) + "$" + DrvPath;
        /// <summary>Whether a build of it is started: it is missing something, or it is checked.</summary>
        public bool Runs => NeedsBuild || Check;
    }

    private readonly Dictionary<string, Goal> _goals = new(StringComparer.Ordinal);
    /// <summary>Paths requested directly (not derivations) that could not be made valid.</summary>
    private readonly List<string> _failedPaths = new();

    /// <summary>What realising would do; fetches and builds nothing. `paths` are store paths
    /// requested directly (not derivations): those not valid are to be fetched, or are unknown.</summary>
    public MissingPaths QueryMissing(IReadOnlyList<BuildRequest> requests, IReadOnlyList<string>? paths = null)
    {
        var plan = new FetchPlan();
        var goals = new Dictionary<string, Goal>(StringComparer.Ordinal);
        LoadGraph(goals, requests, paths ?? [], plan);
        var missing = goals.Values.Where(g => g.NeedsBuild).Select(g => g.DrvPath);
        var sorted = _store.TopoSortPaths(missing);
        sorted.Reverse();
        return new MissingPaths(sorted, plan.WillFetch.Order(StringComparer.Ordinal).ToList(),
            plan.Unknown.Order(StringComparer.Ordinal).ToList(), plan.DownloadSize, plan.NarSize);
    }

    /// <summary>What QueryMissing finds to fetch, and what it finds nowhere.</summary>
    private sealed class FetchPlan
    {
        public readonly HashSet<string> WillFetch = new(StringComparer.Ordinal);
        public readonly HashSet<string> Unknown = new(StringComparer.Ordinal);
        public long DownloadSize, NarSize;
    }

    /// <summary>Notes `path` and the missing part of its closure as to be fetched, or as unknown
    /// where no substituter has it (as Nix lists them: signatures are not looked at yet).</summary>
    private void PlanFetch(string path, FetchPlan plan)
    {
        var todo = new Stack<string>();
        todo.Push(path);
        while (todo.Count > 0)
        {
            var p = todo.Pop();
            if (plan.WillFetch.Contains(p) || plan.Unknown.Contains(p)) continue;
            _store.AddTempRoot(p);
            if (_store.IsValidPath(p)) continue;
            if (_substituter is null || !_substituter.Substituters.QueryFirst([p]).TryGetValue(p, out var found))
            {
                plan.Unknown.Add(p);
                continue;
            }
            plan.WillFetch.Add(p);
            plan.DownloadSize += found.Info.DownloadSize;
            plan.NarSize += found.Info.NarSize;
            foreach (var r in found.Info.References) if (r != p) todo.Push(r);
        }
    }

    /// <summary>Walks from the requests to what must be built. Where the wanted outputs of a
    /// derivation can all be fetched, its inputs are not looked at: with `plan`, that is only
    /// noted (QueryMissing); without, they are fetched now (Realise), and if that fails the
    /// derivation is built after all, or (a failed download without --fallback) fails.</summary>
    private void LoadGraph(Dictionary<string, Goal> goals, IReadOnlyList<BuildRequest> requests, IReadOnlyList<string> paths, FetchPlan? plan)
    {
        if (goals.Count > 0) return;
        // Paths requested directly come first, as Nix's substitution goals sort before its builds.
        foreach (var p in paths.OrderBy(PathSubstituter.GoalKey, StringComparer.Ordinal))
        {
            if (plan is not null) PlanFetch(p, plan);
            else if (_substituter is null || _substituter.Substitute(p) != SubstitutionOutcome.Valid)
                _failedPaths.Add(p);
        }
        // Wave by wave (requests, then their inputs, ...), each in Nix's goal order, so that what is
        // fetched and warned about comes in the order Nix's worker gets to it.
        var wave = requests.Select(r => (r.DrvPath, r.Outputs, Top: true)).ToList();
        while (wave.Count > 0)
        {
            var next = new List<(string DrvPath, IReadOnlySet<string> Outputs, bool Top)>();
            foreach (var (drvPath, outputs, top) in wave.OrderBy(w => DrvKey(w.DrvPath), StringComparer.Ordinal))
                Visit(goals, drvPath, outputs, top, plan, next);
            wave = next;
        }
        // Edges between derivations that need building.
        foreach (var g in goals.Values.Where(g => g.Runs))
            foreach (var dep in g.Drv.InputDrvs.Keys)
                if (goals.TryGetValue(dep, out var d) && d.Runs)
                {
                    g.Dependencies.Add(d);
                    d.Dependents.Add(g);
                }
    }

    private static string DrvKey(string drvPath) => drvPath.Substring(drvPath.LastIndexOf('/') + 34) + "$" + drvPath;

    private void Visit(Dictionary<string, Goal> goals, string drvPath, IReadOnlySet<string> outputs, bool top, FetchPlan? plan,
        List<(string, IReadOnlySet<string>, bool)> next)
    {
        if (!goals.TryGetValue(drvPath, out var g))
        {
            if (!_store.IsValidPath(drvPath))
                throw new RealiseException(1, $"path '{drvPath}' is not valid");
            _store.AddTempRoot(drvPath);
            var drv = _store.ReadDerivationFile(drvPath);
            // Requests come first, so a derivation checked is met first as one.
            g = new Goal { DrvPath = drvPath, Drv = drv, Check = top && _settings.Check };
            goals[drvPath] = g;
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
        if (!grew || g.NeedsBuild) return;
        var missing = g.Drv.Outputs
            .Where(o => (g.WantsAll || g.Wanted.Contains(o.Key)) && !(o.Value.Path.Length > 0 && _store.IsValidPath(o.Value.Path)))
            .Select(o => o.Value.Path).ToList();
        // What is missing is listed as to be built, checked or not (as Nix lists it); a check of
        // what is not valid fails without building its inputs.
        if (g.Check) { g.NeedsBuild = missing.Count > 0; return; }
        if (_settings.Repair && plan is null)
        {
            var valid = g.Drv.Outputs
                .Where(o => (g.WantsAll || g.Wanted.Contains(o.Key)) && o.Value.Path.Length > 0 && !missing.Contains(o.Value.Path))
                .Select(o => o.Value.Path).ToList();
            foreach (var p in valid.Where(p => !ContentsGood(p)).ToList())
                if (_substituter is null || !SubstitutesAllowed(g) || !_substituter.Repair(p)) g.Damaged.Add(p);
        }
        if (missing.Count == 0 && g.Damaged.Count == 0) return;
        if (g.Damaged.Count == 0 && _substituter is not null && missing.All(p => p.Length > 0) && SubstitutesAllowed(g))
        {
            if (plan is not null)
            {
                // Nix asks per request: the missing outputs this request wants (with `drv!out` and
                // `drv!dev` asked for apart, `out` may be listed as fetched while the derivation
                // is listed as built for `dev`).
                var asked = g.Drv.Outputs.Where(o => (outputs.Count == 0 || outputs.Contains(o.Key)) && missing.Contains(o.Value.Path))
                    .Select(o => o.Value.Path).ToList();
                if (asked.Count == 0) return;
                if (_substituter.Substituters.QueryFirst(asked).Count == asked.Count)
                {
                    foreach (var p in asked) PlanFetch(p, plan);
                    g.Substituted = true;
                    return;
                }
            }
            else
            {
                var outcome = FetchOutputs(g, missing);
                if (outcome == SubstitutionOutcome.Valid) { g.Substituted = true; return; }
                if (outcome == SubstitutionOutcome.Failed && !_settings.Fallback)
                {
                    g.NeedsBuild = true;
                    g.SubstitutionError = SubstitutesFailed(drvPath);
                    return;
                }
            }
        }
        g.NeedsBuild = true;
        g.Substituted = false;
        foreach (var src in g.Drv.InputSrcs)
        {
            if (_store.IsValidPath(src)) continue;
            if (_substituter is null)
                throw new RealiseException(1, $"dependency '{src}' of '{drvPath}' does not exist, and substitution is disabled");
            if (plan is not null) PlanFetch(src, plan);
            else if (_substituter.Substitute(src) != SubstitutionOutcome.Valid)
                throw new RealiseException(1, $"dependency '{src}' of '{drvPath}' does not exist and cannot be fetched");
        }
        foreach (var (dep, depOutputs) in g.Drv.InputDrvs)
            next.Add((dep, depOutputs, false));
    }

    /// <summary>Nix's allowSubstitutes attribute (true unless the derivation says otherwise).</summary>
    private static bool SubstitutesAllowed(Goal g)
    {
        try { return new DerivationOptions(g.DrvPath, g.Drv).GetBool("allowSubstitutes", true); }
        catch (BuildException) { return true; } // a bad attribute set is the build's error to report
    }

    /// <summary>Fetches the missing outputs of `g`: Valid when all its wanted outputs now are;
    /// Failed when a download failed; IncompleteClosure (noted for a retry once the inputs are
    /// built) when each failure was for want of a path in an output's closure.</summary>
    private SubstitutionOutcome FetchOutputs(Goal g, List<string> missing)
    {
        int failed = 0, incomplete = 0, others = 0;
        foreach (var p in missing.OrderBy(PathSubstituter.GoalKey, StringComparer.Ordinal))
        {
            switch (_substituter!.Substitute(p))
            {
                case SubstitutionOutcome.Valid: break;
                case SubstitutionOutcome.Failed: failed++; break;
                case SubstitutionOutcome.IncompleteClosure: incomplete++; break;
                default: others++; break;
            }
        }
        if (failed > 0) return SubstitutionOutcome.Failed;
        if (incomplete + others == 0) return SubstitutionOutcome.Valid;
        g.RetrySubstitution = incomplete > 0 && others == 0;
        return others > 0 ? SubstitutionOutcome.NoSubstituters : SubstitutionOutcome.IncompleteClosure;
    }

    private sealed record Finished(Goal Goal, BuildStatus Status, string? Error);

    /// <summary>Fetches and builds what is missing (`paths`: store paths requested directly, which
    /// can only be fetched). Throws RealiseException (with Nix's exit status) when anything failed.</summary>
    public RealiseResult Realise(IReadOnlyList<BuildRequest> requests, IReadOnlyList<string>? paths = null)
    {
        LoadGraph(_goals, requests, paths ?? [], plan: null);
        // Builders get the permissions Nix gives them: files 0644, directories 0755 by default.
        NativeMethods.Umask(0x12 /* 022 */);

        var toBuild = _goals.Values.Where(g => g.Runs).ToList();
        foreach (var g in toBuild) g.DependenciesLeft = g.Dependencies.Count;
        // Ready derivations start in Nix's goal order (by name).
        var ready = new SortedSet<Goal>(Comparer<Goal>.Create((a, b) => string.CompareOrdinal(a.Key, b.Key)));
        foreach (var g in toBuild) if (g.DependenciesLeft == 0 && g.SubstitutionError is null) ready.Add(g);

        var finished = new BlockingCollection<Finished>();
        var running = new Dictionary<Goal, CancellationTokenSource>();
        bool stopping = false;
        bool permanentFailure = false, hashMismatch = false, timedOut = false, notDeterministic = false;
        int built = 0;
        if (_settings.MaxJobs <= 0 && toBuild.Any(g => g.SubstitutionError is null))
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

        // Those whose outputs could not be downloaded (without --fallback) fail before anything is built.
        foreach (var g in toBuild.Where(g => g.SubstitutionError is not null).OrderBy(g => g.Key, StringComparer.Ordinal))
            if (g.Status is null) Fail(g, BuildStatus.TransientFailure, g.SubstitutionError!);

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
            if (f.Status is BuildStatus.Built or BuildStatus.AlreadyValid or BuildStatus.Substituted)
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

        var statuses = _goals.Values.ToDictionary(g => g.DrvPath,
            g => g.Status ?? (g.Runs ? BuildStatus.Cancelled : g.Substituted ? BuildStatus.Substituted : BuildStatus.AlreadyValid), StringComparer.Ordinal);
        var failedTops = _goals.Values.Where(g => g.IsTop && g.Runs && g.Status is not (BuildStatus.Built or BuildStatus.AlreadyValid or BuildStatus.Substituted))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (failedTops.Count == 0 && _failedPaths.Count == 0) return new RealiseResult(statuses, built);

        int exitStatus = ExitStatus(permanentFailure, hashMismatch, timedOut, notDeterministic);
        // A requested derivation that others also depended on has had its error printed already.
        var withErrors = failedTops.Where(g => g.Error is not null && g.Status != BuildStatus.Cancelled && g.Dependents.Count == 0).ToList();
        if (failedTops.Count == 1 && withErrors.Count == 1 && _failedPaths.Count == 0)
            throw new RealiseException(exitStatus, withErrors[0].Error!);
        // Nix keeps the first error (in goal order) and prints the others as it meets them, then that one.
        foreach (var g in withErrors.Skip(1)) _log.Error(g.Error!);
        if (withErrors.Count > 0) _log.Error(withErrors[0].Error!);
        throw new RealiseException(exitStatus,
            $"build of {string.Join(", ", failedTops.Select(g => g.DrvPath).Concat(_failedPaths).Order(StringComparer.Ordinal).Select(p => $"'{p}'"))} failed");
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

    /// <summary>With its inputs built, the outputs' closures may be complete now: fetches them if
    /// so. Null when it is to be built after all.</summary>
    private Finished? RetrySubstitution(Goal g)
    {
        _substituter!.ForgetFailures();
        var missing = g.Drv.Outputs
            .Where(o => (g.WantsAll || g.Wanted.Contains(o.Key)) && !_store.IsValidPath(o.Value.Path))
            .Select(o => o.Value.Path).ToList();
        var outcome = FetchOutputs(g, missing);
        if (outcome == SubstitutionOutcome.Valid) return new Finished(g, BuildStatus.Substituted, null);
        if (outcome == SubstitutionOutcome.Failed && !_settings.Fallback)
            return new Finished(g, BuildStatus.TransientFailure, SubstitutesFailed(g.DrvPath));
        return null;
    }

    private static string SubstitutesFailed(string drvPath) =>
        $"some substitutes for the outputs of derivation '{drvPath}' failed (usually happens due to networking issues); " +
        "try '--fallback' to build derivation from source";

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
        var build = new DerivationBuild(_store, _settings, _log, _host, g.DrvPath, g.Drv, wanted, inputOutputs, g.Check, g.Damaged);
        // One thread per builder: the builder is a process, the thread waits for it.
        var t = new Thread(() =>
        {
            try
            {
                if (g.RetrySubstitution && RetrySubstitution(g) is { } done)
                {
                    finished.Add(done);
                    return;
                }
                // Announced when the builder is about to start (after any wait for locks), as Nix does.
                var status = build.Run(cancel, () =>
                {
                    _log.Info(g.Check ? $"checking outputs of '{g.DrvPath}'..."
                        : g.Damaged.Count > 0 ? $"repairing outputs of '{g.DrvPath}'..." : $"building '{g.DrvPath}'...");
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
