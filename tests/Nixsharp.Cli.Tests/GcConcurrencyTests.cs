// Garbage collection against concurrent users of the store. A collector must keep every path
// that a live process holds as a temporary root and everything a permanent root reaches, whether
// the collector and the user are nixsharp or real Nix 2.8 (they share the temproots files, the GC
// lock and the collector's roots socket). The deterministic tests stop a process at a known point
// (blocked reading a FIFO, or waiting for a database write lock the test holds); the stress test
// runs collectors in a loop while adders instantiate, add and root paths.
namespace Nixsharp.Cli.Tests;

using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Nixsharp.Formats.StorePaths;
using Xunit;
using Xunit.Abstractions;

public sealed class GcConcurrencyTests : IDisposable
{
    private readonly ITestOutputHelper _out;
    private readonly TempDir _tmp = new("nixsharp-gc");

    public GcConcurrencyTests(ITestOutputHelper output) { _out = output; }

    public void Dispose() => _tmp.Dispose();

    /// <summary>An expression that writes a toFile text, then blocks reading `fifo` until the
    /// test writes to it, then returns a derivation using the text.</summary>
    private string HeldExpression(string text) => HeldExpressionNamed("held", text);

    private string HeldExpressionNamed(string name, string text)
    {
        var file = _tmp.Sub("held.nix");
        File.WriteAllText(file, $$"""
            { fifo }:
            let t = builtins.toFile "{{name}}" "{{text}}";
            in builtins.seq t (builtins.seq (builtins.readFile fifo)
                 (derivation { name = "held"; system = "x86_64-linux"; builder = t; }))
            """);
        return file;
    }

    private static string TextPath(string name, string text) =>
        new StorePathComputer(TestStore.StoreDir).ComputeTextPath(name, Encoding.UTF8.GetBytes(text), []);

    /// <summary>Runs a command that blocks reading `fifo`; `whileBlocked` runs once it is blocked
    /// there (opening a FIFO for writing returns only when a reader has opened it), then the
    /// command is let go and must succeed. `beforeOpening` runs as soon as it has started.</summary>
    private static RunResult WhileBlockedOnFifo(string file, string[] args, string fifo, Action whileBlocked,
        Action? beforeOpening = null)
    {
        Assert.Equal(0, Tools.Run("mkfifo", [fifo]).Code);
        using var p = RunningProcess.Start(file, args);
        beforeOpening?.Invoke();
        var open = Task.Factory.StartNew(() => new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite),
            TaskCreationOptions.LongRunning);
        while (!open.Wait(100))
        {
            if (!p.HasExited) continue;
            // It ended without reading the FIFO: unblock our open, then report what it said.
            using (new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)) { }
            open.Result.Dispose();
            var failed = p.Finish();
            Assert.Fail($"{file} exited ({failed.Code}) before reading the FIFO:\n{failed.Stderr}");
        }
        using (var writer = open.Result)
        {
            whileBlocked();
            writer.Write("released"u8);
        }
        var r = p.Finish();
        Assert.True(r.Code == 0, $"{file} failed after being released:\n{r.Stderr}");
        return r;
    }

    [Fact]
    public void CollectorsKeepTheTemporaryRootsOfALiveNixsharpProcess()
    {
        var store = new TestStore(_tmp.Sub("store"));
        const string text = "held by a live nixsharp process";
        var held = TextPath("held", text);
        var fifo = _tmp.Sub("fifo");
        WhileBlockedOnFifo(Tools.Nixsharp, ["instantiate", "--store", store.Root, "--argstr", "fifo", fifo, HeldExpression(text)], fifo, () =>
        {
            Assert.True(store.IsValid(held), "the text was not written before the FIFO was read");
            var ours = Tools.Ns("store", "gc", "--store", store.Root);
            Assert.True(ours.Code == 0, ours.Stderr);
            Assert.True(store.IsValid(held) && TestStore.Exists(store.Real(held)), "nixsharp's collector deleted a live process's temporary root");
            if (!Tools.NixInstalled) return;
            var nix = Tools.Nix("nix-store", "--store", store.Root, "--gc");
            Assert.True(nix.Code == 0, nix.Stderr);
            Assert.True(store.IsValid(held) && TestStore.Exists(store.Real(held)), "Nix's collector deleted a live nixsharp process's temporary root");
        });
        // Once the process is gone nothing roots the text, so the collector must now delete it:
        // what kept it alive was the temporary root.
        var after = Tools.Ns("store", "gc", "--store", store.Root);
        Assert.True(after.Code == 0, after.Stderr);
        Assert.False(store.IsValid(held));
        store.AssertVerifies("after the collections");
    }

    [Fact]
    public void NixsharpCollectorKeepsTheTemporaryRootsOfALiveNixProcess()
    {
        if (!Tools.NixInstalled) return;
        var store = new TestStore(_tmp.Sub("store"));
        Assert.Equal(0, Tools.Ns("store", "verify", "--store", store.Root).Code); // creates the store
        const string text = "held by a live nix process";
        var held = TextPath("held", text);
        var fifo = _tmp.Sub("fifo");
        WhileBlockedOnFifo("nix-instantiate", ["--store", store.Root, "--argstr", "fifo", fifo, HeldExpression(text)], fifo, () =>
        {
            Assert.True(store.IsValid(held), "nix-instantiate did not write the text before reading the FIFO");
            var ours = Tools.Ns("store", "gc", "--store", store.Root);
            Assert.True(ours.Code == 0, ours.Stderr);
            Assert.True(store.IsValid(held) && TestStore.Exists(store.Real(held)), "nixsharp's collector deleted a live Nix process's temporary root");
        });
        Assert.Equal(0, Tools.Ns("store", "gc", "--store", store.Root).Code);
        Assert.False(store.IsValid(held));
    }

    /// <summary>A store with garbage in it (a valid path nothing roots), so that a collector
    /// has a database write to make, and stops there while the test holds the write lock.</summary>
    private TestStore StoreWithGarbage()
    {
        var store = new TestStore(_tmp.Sub("store"));
        var junk = _tmp.Sub("junk");
        File.WriteAllText(junk, "garbage\n");
        Assert.Equal(0, Tools.Ns("store", "add", "--store", store.Root, junk).Code);
        return store;
    }

    [Fact]
    public void NixsharpAdderHandsItsRootToARunningNixCollector()
    {
        if (!Tools.NixInstalled) return;
        var store = StoreWithGarbage();
        var tree = Inputs.MakeTree(_tmp.Sub("tree"), dirs: 2, filesPerDir: 5, bigBytes: 1000, seed: 42);
        using var db = store.OpenDb();
        using var writeLock = db.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: writers wait

        // Nix's collector takes the GC lock, opens its socket, finds the roots and stops at its first
        // database write, holding the lock.
        using var nixGc = RunningProcess.Start("nix-store", ["--store", store.Root, "--gc", "--debug"]);
        Assert.True(nixGc.WaitForStderr(l => l == "deleting garbage..."), nixGc.StderrSoFar);
        // The GC lock is taken, so the adder must hand its root to the collector (which answers from
        // its socket thread while its main thread waits for the database).
        using var adder = RunningProcess.Ns("store", "add", "--store", store.Root, tree);
        Assert.True(nixGc.WaitForStderr(l => l.StartsWith("got new GC root '/nix/store/", StringComparison.Ordinal) && l.EndsWith("-tree'", StringComparison.Ordinal)),
            $"the adder did not send its root to Nix's collector; collector:\n{nixGc.StderrSoFar}\nadder:\n{adder.StderrSoFar}");
        writeLock.Rollback();

        var added = adder.Finish();
        Assert.True(added.Code == 0, added.Stderr);
        var collected = nixGc.Finish();
        Assert.True(collected.Code == 0, collected.Stderr);
        var path = added.Out.Trim();
        Assert.True(store.IsValid(path), $"Nix's collector deleted {path}, which the adder had handed it as a root");
        Assert.StartsWith("1 store paths deleted", collected.Out); // the garbage went
        store.AssertVerifies("after Nix's collection");
    }

    [Fact]
    public void NixAdderHandsItsRootToARunningNixsharpCollector()
    {
        if (!Tools.NixInstalled) return;
        var store = StoreWithGarbage();
        var tree = Inputs.MakeTree(_tmp.Sub("tree"), dirs: 2, filesPerDir: 5, bigBytes: 1000, seed: 43);
        using var db = store.OpenDb();
        using var writeLock = db.BeginTransaction(deferred: false);

        using var ourGc = RunningProcess.Ns("store", "gc", "--store", store.Root);
        Assert.True(ourGc.WaitForStderr(l => l == "finding garbage collector roots..."), ourGc.StderrSoFar);
        using var nixAdd = RunningProcess.Start("nix-store", ["--store", store.Root, "--add", tree, "--debug"]);
        Assert.True(nixAdd.WaitForStderr(l => l.StartsWith("got ack for GC root '/nix/store/", StringComparison.Ordinal)),
            $"Nix's adder got no answer from nixsharp's collector; adder:\n{nixAdd.StderrSoFar}\ncollector:\n{ourGc.StderrSoFar}");
        writeLock.Rollback();

        var added = nixAdd.Finish();
        Assert.True(added.Code == 0, added.Stderr);
        var collected = ourGc.Finish();
        Assert.True(collected.Code == 0, collected.Stderr);
        var path = added.Out.Trim();
        Assert.True(store.IsValid(path), $"nixsharp's collector deleted {path}, which Nix's adder had handed it as a root");
        Assert.StartsWith("1 store paths deleted", collected.Out);
        store.AssertVerifies("after nixsharp's collection");
    }

    [Fact]
    public void APathThatBecomesATemporaryRootWhileItsReferrersAreDeletedIsKept()
    {
        // The collector decides a path and its referrers together, then deletes the referrers
        // first; its socket only holds back a client asking for the path being looked at, so a
        // client can be told to go ahead with the path while its referrer is being deleted. The
        // collector must look at the path again before deleting it (as current Nix does).
        // Here: `store delete A B`, where B refers to A and takes long to delete; the collector is
        // stopped while it deletes B; a process then asks for A as a temporary root (and queues on
        // the socket); the collector goes on; A must survive while that process is alive.
        var store = new TestStore(_tmp.Sub("store"));
        const string text = "wanted again while its referrer is deleted";
        var a = TextPath("a", text);
        var b = "/nix/store/" + new string('b', 32) + "-refers-to-a";
        var bigDir = Enumerable.Range(0, 20_000).Select(i => ($"f{i:D5}", (Action<NarBuilder>)(n => n.File("x")))).ToArray();
        var stream = new MemoryStream();
        ExportOne(stream, NarBuilder.Archive().File(text).ToArray(), a, []);
        ExportOne(stream, NarBuilder.Archive().Dir(bigDir).ToArray(), b, [a]);
        Nixsharp.Formats.Wire.WireStream.WriteU64(stream, 0);
        var imported = Tools.Run(Tools.Nixsharp, ["store", "import", "--store", store.Root], stdin: stream.ToArray());
        Assert.True(imported.Code == 0, imported.Stderr);

        using var gc = RunningProcess.Ns("store", "delete", "--store", store.Root, a, b);
        Assert.True(gc.WaitForStderr(l => l == $"deleting '{b}'"), gc.StderrSoFar);
        Signals.Stop(gc.Pid);
        bool resumed = false;
        try
        {
            if (!store.IsValid(a))
            {
                // The stop came after the collector had reached A: nothing to test this time.
                _out.WriteLine("the collector was stopped too late (A already deleted); the race was not set up");
                return;
            }
            var fifo = _tmp.Sub("fifo");
            var socket = store.StateDir + "/gc-socket/socket";
            WhileBlockedOnFifo(Tools.Nixsharp, ["instantiate", "--store", store.Root, "--argstr", "fifo", fifo, HeldExpressionNamed("a", text)], fifo, beforeOpening: () =>
            {
                // The client's connection waits in the stopped collector's backlog (listed in
                // /proc/net/unix as connecting); only then may the collector go on.
                Assert.True(WaitFor(() => File.ReadLines("/proc/net/unix").Any(l => l.EndsWith(" " + socket, StringComparison.Ordinal) && l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[5] == "02")),
                    "the client never connected to the collector's socket");
                Signals.Continue(gc.Pid);
                resumed = true;
            }, whileBlocked: () =>
            {
                var collected = gc.Finish();
                Assert.True(collected.Code == 0 || collected.Stderr.Contains("since it is still alive", StringComparison.Ordinal), collected.Stderr);
                Assert.False(store.IsValid(b));
                Assert.True(store.IsValid(a) && TestStore.Exists(store.Real(a)), $"the collector deleted {a}, a temporary root of a live process");
            });
        }
        finally
        {
            if (!resumed) Signals.Continue(gc.Pid);
        }
        store.AssertVerifies("after the collection");
    }

    private static void ExportOne(Stream s, byte[] nar, string path, string[] references)
    {
        Nixsharp.Formats.Wire.WireStream.WriteU64(s, 1);
        s.Write(nar);
        Nixsharp.Formats.Wire.WireStream.WriteU64(s, Nixsharp.Formats.Export.ExportFormat.Magic);
        Nixsharp.Formats.Wire.WireStream.WriteString(s, path);
        Nixsharp.Formats.Wire.WireStream.WriteStrings(s, references);
        Nixsharp.Formats.Wire.WireStream.WriteString(s, "");
        Nixsharp.Formats.Wire.WireStream.WriteU64(s, 0);
    }

    /// <summary>Polls a condition (for states no process announces); false after a minute.</summary>
    private static bool WaitFor(Func<bool> condition)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > 60_000) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    [Fact]
    public void CollectorsRunningAlongsideAddersNeverDeleteWhatTheAddersRooted()
    {
        const int adders = 3, rounds = 5, variants = 3;
        // Three chains of derivations and three trees, with their paths from undisturbed runs.
        var exprs = new string[variants];
        var drvOf = new string[variants];
        var closureOf = new List<string>[variants];
        var trees = new string[variants];
        var treePathOf = new string[variants];
        for (int v = 0; v < variants; v++)
        {
            exprs[v] = Path.Combine(Inputs.MakeChainExpression(_tmp.Sub($"expr{v}"), 20, salt: $"v{v}"), "default.nix");
            var reference = new TestStore(_tmp.Sub($"reference{v}"));
            var r = Tools.Ns("instantiate", "--store", reference.Root, exprs[v]);
            Assert.True(r.Code == 0, r.Stderr);
            drvOf[v] = r.Out.Trim();
            closureOf[v] = reference.ValidPaths();
            trees[v] = Inputs.MakeTree(_tmp.Sub($"tree{v}"), dirs: 4, filesPerDir: 10, bigBytes: 64 << 10, seed: 200 + v);
            treePathOf[v] = Tools.Ns("store", "add", "--store", reference.Root, trees[v]).Out.Trim();
        }

        var store = new TestStore(_tmp.Sub("store"));
        Assert.Equal(0, Tools.Ns("store", "verify", "--store", store.Root).Code);
        var failures = new ConcurrentQueue<string>();
        var rootsDir = _tmp.Sub("roots");
        Directory.CreateDirectory(rootsDir);

        var stop = new ManualResetEventSlim();
        int collections = 0;
        long deleted = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                var r = Tools.Ns("store", "gc", "--store", store.Root);
                if (r.Code != 0) failures.Enqueue($"a collection failed:\n{r.Stderr}");
                else Interlocked.Add(ref deleted, DeletedCount(r.Out));
                Interlocked.Increment(ref collections);
            }
        });

        var threads = Enumerable.Range(0, adders).Select(a => new Thread(() =>
        {
            var drvRoot = Path.Combine(rootsDir, $"adder{a}");
            var treeRoot = Path.Combine(store.GcRootsDir, $"adder{a}-tree");
            for (int round = 0; round < rounds; round++)
            {
                int v = (a + round) % variants;
                var what = $"adder {a} round {round}";
                // Dropping the previous root makes what it kept garbage for the collector, while
                // other adders may be instantiating the same paths again.
                File.Delete(drvRoot);
                var inst = Tools.Ns("instantiate", "--add-root", drvRoot, "--store", store.Root, exprs[v]);
                if (inst.Code != 0 || inst.Out != drvRoot + "\n") { failures.Enqueue($"{what}: instantiate failed ({inst.Code}): {inst.Out}\n{inst.Stderr}"); continue; }
                if (new FileInfo(drvRoot).LinkTarget != drvOf[v]) failures.Enqueue($"{what}: the root points to {new FileInfo(drvRoot).LinkTarget}, not {drvOf[v]}");
                var valid = store.ValidPaths().ToHashSet(StringComparer.Ordinal);
                var lost = closureOf[v].Where(p => !valid.Contains(p)).ToList();
                if (lost.Count > 0) failures.Enqueue($"{what}: rooted {drvOf[v]} but {lost.Count} paths of its closure are not valid, e.g. {lost[0]}");

                // A tree, rooted before it is added (the root counts once the path is valid), the
                // way a user points a profile at something and then builds it.
                File.Delete(treeRoot);
                File.CreateSymbolicLink(treeRoot, treePathOf[v]);
                var add = Tools.Ns("store", "add", "--store", store.Root, trees[v]);
                if (add.Code != 0 || add.Out != treePathOf[v] + "\n") failures.Enqueue($"{what}: store add failed ({add.Code}): {add.Out}\n{add.Stderr}");
                else if (!store.IsValid(treePathOf[v])) failures.Enqueue($"{what}: rooted {treePathOf[v]} is not valid after adding it");

                // And some garbage nothing roots.
                var junk = Path.Combine(_tmp.Path, $"junk-{a}-{round}");
                File.WriteAllText(junk, $"garbage {a} {round}\n");
                var j = Tools.Ns("store", "add", "--store", store.Root, junk);
                if (j.Code != 0) failures.Enqueue($"{what}: adding garbage failed: {j.Stderr}");
            }
        })).ToList();

        collector.Start();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        stop.Set();
        collector.Join();

        // One more collection with nothing running: the garbage goes, the rooted paths stay.
        var last = Tools.Ns("store", "gc", "--store", store.Root);
        Assert.True(last.Code == 0, last.Stderr);
        deleted += DeletedCount(last.Out);
        _out.WriteLine($"{collections + 1} collections deleted {deleted} paths in all");
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        Assert.True(deleted >= adders * rounds, $"only {deleted} paths were deleted; the garbage was not collected");

        var valid = store.ValidPaths().ToHashSet(StringComparer.Ordinal);
        for (int a = 0; a < adders; a++)
        {
            int v = (a + rounds - 1) % variants;
            Assert.All(closureOf[v], p => Assert.True(valid.Contains(p), $"adder {a}'s rooted closure lost {p}"));
            Assert.Contains(treePathOf[v], valid);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.TempRootsDir));
        store.AssertContentsMatchDb("after the collections");
        store.AssertVerifies("after the collections");
    }

    private static long DeletedCount(string gcOutput)
    {
        var m = Regex.Match(gcOutput, @"^(\d+) store paths deleted", RegexOptions.Multiline);
        return m.Success ? long.Parse(m.Groups[1].Value) : 0;
    }
}
