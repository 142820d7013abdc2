// Concurrency: eight nixsharp processes writing the same and overlapping paths into one store at
// once. Every process must print the right paths, each path must end up registered once with the
// right contents, no lock file or half-written leftover may remain, and both verifies must pass.
namespace Nixsharp.Cli.Tests;

using Nixsharp.Store.Local;
using Xunit;

/// <summary>Three trees and the paths `store add` gives them (checked against nix-store --add).</summary>
public sealed class ThreeTrees : IDisposable
{
    private readonly TempDir _tmp = new("nixsharp-trees");
    public string[] Trees { get; }
    public string[] Paths { get; }

    public ThreeTrees()
    {
        Trees = Enumerable.Range(0, 3)
            .Select(i => Inputs.MakeTree(_tmp.Sub($"tree{i}"), dirs: 10, filesPerDir: 40, bigBytes: 1 << 20, seed: 100 + i)).ToArray();
        var reference = Tools.Ns(["store", "add", "--store", _tmp.Sub("reference"), .. Trees]);
        Assert.True(reference.Code == 0, reference.Stderr);
        if (Tools.NixInstalled)
            Assert.Equal(Tools.Run("nix-store", ["--store", _tmp.Sub("nix"), "--add", .. Trees]).Out, reference.Out);
        Paths = reference.Out.TrimEnd('\n').Split('\n');
    }

    public void Dispose() => _tmp.Dispose();
}

public sealed class StoreConcurrencyTests : IClassFixture<ThreeTrees>, IDisposable
{
    private const int Processes = 8;
    private readonly TempDir _tmp = new("nixsharp-concurrency");
    private readonly ThreeTrees _trees;

    public StoreConcurrencyTests(ThreeTrees trees) { _trees = trees; }

    public void Dispose() => _tmp.Dispose();

    private (string[] Trees, string[] Paths) ThreeTrees() => (_trees.Trees, _trees.Paths);

    /// <summary>What every test checks at the end: each expected path registered exactly once
    /// and nothing else, nothing left over beside them, no temporary roots, verify passes.</summary>
    private static void AssertCleanStore(TestStore store, IEnumerable<string> expectedPaths)
    {
        Assert.Equal(expectedPaths.Order(StringComparer.Ordinal), store.ValidPaths());
        Assert.Empty(store.StrayEntries()); // no *.lock files, no half-written copies
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.TempRootsDir));
        store.AssertContentsMatchDb("after the concurrent writers");
        store.AssertVerifies("after the concurrent writers");
    }

    [Fact]
    public void EightAddersOfOverlappingTreesOnANewStore()
    {
        var (trees, paths) = ThreeTrees();
        // A store that does not exist yet: the processes also race to create it.
        var store = new TestStore(_tmp.Sub("store"));
        var procs = Enumerable.Range(0, Processes)
            .Select(i => RunningProcess.Ns("store", "add", "--store", store.Root, trees[i % 3], trees[(i + 1) % 3])).ToList();
        for (int i = 0; i < Processes; i++)
        {
            var r = procs[i].Finish();
            Assert.True(r.Code == 0, $"adder {i} failed:\n{r.Stderr}");
            Assert.Equal($"{paths[i % 3]}\n{paths[(i + 1) % 3]}\n", r.Out);
            procs[i].Dispose();
        }
        AssertCleanStore(store, paths);
    }

    [Fact]
    public void EightAddersWaitingOnOneHeldLockAllFinish()
    {
        var (trees, paths) = ThreeTrees();
        var store = new TestStore(_tmp.Sub("store"));
        Assert.Equal(0, Tools.Ns("store", "verify", "--store", store.Root).Code); // creates the store

        // Hold the three paths' locks as a writer would, so that every adder stops at its first
        // path's lock; they are released together once all eight say they are waiting.
        var held = paths.Select(p => FileLock.Open(store.Real(p) + ".lock")).ToList();
        foreach (var l in held) Assert.True(l.TryLock(write: true));
        var procs = Enumerable.Range(0, Processes)
            .Select(i => RunningProcess.Ns("store", "add", "--store", store.Root, trees[i % 3], trees[(i + 1) % 3])).ToList();
        try
        {
            foreach (var p in procs)
                Assert.True(p.WaitForStderr(l => l.StartsWith("waiting for lock on", StringComparison.Ordinal)),
                    $"an adder did not wait for the held lock:\n{p.StderrSoFar}");
            // Like a writer that gave up (or died): the lock files stay, unmarked, for the next writer.
            foreach (var l in held) { l.Unlock(); l.Dispose(); }
            for (int i = 0; i < Processes; i++)
            {
                var r = procs[i].Finish();
                Assert.True(r.Code == 0, $"adder {i} failed:\n{r.Stderr}");
                Assert.Equal($"{paths[i % 3]}\n{paths[(i + 1) % 3]}\n", r.Out);
            }
        }
        finally
        {
            foreach (var p in procs) p.Dispose();
            foreach (var l in held) l.Dispose();
        }
        AssertCleanStore(store, paths);
    }

    [Fact]
    public void NixsharpWaitsForAPathLockHeldByNix()
    {
        if (!Tools.NixInstalled) return;
        var (trees, paths) = ThreeTrees();
        var store = new TestStore(_tmp.Sub("store"));
        Assert.Equal(0, Tools.Ns("store", "verify", "--store", store.Root).Code);
        using var db = store.OpenDb();
        using var writeLock = db.BeginTransaction(deferred: false); // registration waits for this

        // nix-store --add takes the path's lock, copies the tree and stops at registering it.
        using var nix = RunningProcess.Start("nix-store", ["--store", store.Root, "--add", trees[0], "--debug"]);
        Assert.True(nix.WaitForStderr(l => l == $"lock acquired on '{store.Real(paths[0])}.lock'"), nix.StderrSoFar);
        using var ours = RunningProcess.Ns("store", "add", "--store", store.Root, trees[0]);
        Assert.True(ours.WaitForStderr(l => l == $"waiting for lock on '{paths[0]}'..."),
            $"nixsharp did not wait for the lock Nix holds:\n{ours.StderrSoFar}");
        writeLock.Rollback();

        var theirs = nix.Finish();
        Assert.True(theirs.Code == 0, theirs.Stderr);
        var r = ours.Finish();
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal(paths[0] + "\n", r.Out);
        Assert.Equal(paths[0] + "\n", theirs.Out);
        AssertCleanStore(store, [paths[0]]);
    }

    [Fact]
    public void EightInstantiatesOfOneExpressionOnANewStore()
    {
        var file = Path.Combine(Inputs.MakeChainExpression(_tmp.Sub("expr"), 60), "default.nix");
        var reference = new TestStore(_tmp.Sub("reference"));
        var expected = Tools.Ns("instantiate", "--store", reference.Root, file);
        Assert.True(expected.Code == 0, expected.Stderr);
        if (Tools.NixInstalled)
        {
            // Nix registers exactly the same rows: paths, hashes, sizes, content addresses, references.
            var nix = new TestStore(_tmp.Sub("nix"));
            Assert.Equal(expected.Out, Tools.Nix("nix-instantiate", "--store", nix.Root, file).Out);
            Assert.Equal(nix.DbText(), reference.DbText());
        }

        var store = new TestStore(_tmp.Sub("store"));
        var procs = Enumerable.Range(0, Processes).Select(_ => RunningProcess.Ns("instantiate", "--store", store.Root, file)).ToList();
        for (int i = 0; i < Processes; i++)
        {
            var r = procs[i].Finish();
            Assert.True(r.Code == 0, $"instantiate {i} failed:\n{r.Stderr}");
            Assert.Equal(expected.Out, r.Out);
            procs[i].Dispose();
        }
        Assert.Equal(reference.DbText(), store.DbText());
        AssertCleanStore(store, reference.ValidPaths());
    }
}
