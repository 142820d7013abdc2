// Crash safety: `nixsharp store add` and `nixsharp instantiate` are killed with SIGKILL after
// random delays (seeded; the seed is printed and NIXSHARP_TEST_SEED replays it), each in a fresh
// store. After every kill the store must verify (nixsharp's and Nix's `--check-contents`), and
// running the same command again must succeed and print what an uninterrupted run prints.
// The delays are spread over the uninterrupted run's duration in three bands (early: start-up and
// opening/creating the database; middle: hashing and copying; late: canonicalising, registering,
// exiting); what each kill interrupted is read back from the store and tallied in the output.
namespace Nixsharp.Cli.Tests;

using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

public sealed class CrashSafetyTests : IDisposable
{
    private readonly ITestOutputHelper _out;
    private readonly TempDir _tmp = new("nixsharp-crash");

    public CrashSafetyTests(ITestOutputHelper output) { _out = output; }

    public void Dispose() => _tmp.Dispose();

    private static int Seed() =>
        Environment.GetEnvironmentVariable("NIXSHARP_TEST_SEED") is { Length: > 0 } s ? int.Parse(s) : Random.Shared.Next();

    /// <summary>Where a kill landed: its band, its delay and what the store showed afterwards.</summary>
    private sealed record Outcome(string Band, int DelayMs, string State);

    /// <summary>Runs `args` (with `--store ROOT` appended) killed after a delay for each of `runs`
    /// runs; `classify` says what the kill interrupted, judged from the store it left.</summary>
    private List<Outcome> KillRuns(string what, int runs, Func<string, string[]> argsFor, string expectedOut,
        string expectedDb, Func<TestStore, string> classify)
    {
        int seed = Seed();
        _out.WriteLine($"{what}: seed {seed} (set NIXSHARP_TEST_SEED={seed} to replay)");
        var rng = new Random(seed);

        // How long an uninterrupted run on a fresh store takes (the median of three), so that the
        // delays cover its phases whatever the machine's speed and load. It only places the
        // kills; nothing asserts on time.
        var durations = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            var timing = new TestStore(_tmp.Sub($"timing{i}"));
            var sw = Stopwatch.StartNew();
            var run = Tools.Ns(argsFor(timing.Root));
            durations.Add((int)sw.ElapsedMilliseconds);
            Assert.True(run.Code == 0, run.Stderr);
            Assert.Equal(expectedOut, run.Out);
            timing.Delete();
        }
        int fullMs = durations.Order().ElementAt(1);
        _out.WriteLine($"{what}: an uninterrupted run takes about {fullMs} ms");

        var outcomes = new List<Outcome>();
        for (int i = 0; i < runs; i++)
        {
            var (band, lo, hi) = (i % 3) switch
            {
                0 => ("early", 0.0, 0.3),
                1 => ("middle", 0.3, 0.75),
                _ => ("late", 0.75, 1.4),
            };
            int delay = (int)(fullMs * (lo + (hi - lo) * rng.NextDouble()));
            var store = new TestStore(_tmp.Sub($"run{i}"));
            var context = $"{what} run {i} (seed {seed}, killed after {delay} ms)";

            using (var p = RunningProcess.Ns(argsFor(store.Root)))
                if (!p.WaitForExit(delay)) p.Kill();
            var state = classify(store);
            outcomes.Add(new Outcome(band, delay, state));

            store.AssertVerifies(context);

            var again = Tools.Ns(argsFor(store.Root));
            Assert.True(again.Code == 0, $"{context}: the rerun failed ({again.Code}):\n{again.Stderr}");
            Assert.True(expectedOut == again.Out, $"{context}: the rerun printed\n{again.Out}\ninstead of\n{expectedOut}");
            Assert.True(expectedDb == store.DbText(), $"{context}: after the rerun the database differs from an uninterrupted run's");
            // What verify checks, in-process (cheaper): every valid path is on disk with its hash.
            store.AssertContentsMatchDb(context + ", after the rerun");
            store.Delete();
        }

        foreach (var g in outcomes.GroupBy(o => (o.Band, o.State)).OrderBy(g => g.Key.Band).ThenBy(g => g.Key.State))
            _out.WriteLine($"{what}: {g.Key.Band,-6} kills ({string.Join(", ", g.Select(o => o.DelayMs + " ms"))}): {g.Count()} x {g.Key.State}");
        // Kills at the start always interrupt (the runtime takes longer than that to start), so
        // this only guards against the test silently killing nothing.
        Assert.Contains(outcomes, o => !o.State.StartsWith("finished", StringComparison.Ordinal));
        return outcomes;
    }

    [Fact]
    public void KilledStoreAddLeavesAConsistentStoreAndRerunsCleanly()
    {
        // A few thousand small files and a few MB: long enough that kills land mid-copy.
        var tree = Inputs.MakeTree(_tmp.Sub("tree"), dirs: 40, filesPerDir: 50, bigBytes: 2 << 20, seed: 7);
        var reference = new TestStore(_tmp.Sub("reference"));
        var expected = Tools.Ns("store", "add", "--store", reference.Root, tree);
        Assert.Equal(0, expected.Code);
        if (Tools.NixInstalled)
            Assert.Equal(Tools.Nix("nix-store", "--store", _tmp.Sub("nix"), "--add", tree).Out, expected.Out);
        var path = expected.Out.Trim();
        var expectedHash = reference.HashOnDisk(path);

        KillRuns("store add", 30, root => ["store", "add", "--store", root, tree], expected.Out, reference.DbText(), store =>
        {
            if (!store.HasSchema) return "before the database had its tables";
            if (store.IsValid(path)) return "finished (path valid)";
            if (!TestStore.Exists(store.Real(path))) return "database open, nothing copied yet";
            // A leftover that hashes right was copied whole: the kill came while canonicalising,
            // hashing or registering it.
            try
            {
                return store.HashOnDisk(path) == expectedHash ? "copied whole, not yet registered" : "copied partly";
            }
            catch (IOException) { return "copied partly"; }
        });
    }

    [Fact]
    public void KilledInstantiateLeavesAConsistentStoreAndRerunsCleanly()
    {
        // 150 derivations, 150 toFile texts and 11 sources: 311 paths written one by one.
        var expr = Inputs.MakeChainExpression(_tmp.Sub("expr"), 150);
        var file = Path.Combine(expr, "default.nix");
        var reference = new TestStore(_tmp.Sub("reference"));
        var expected = Tools.Ns("instantiate", "--store", reference.Root, file);
        Assert.True(expected.Code == 0, expected.Stderr);
        if (Tools.NixInstalled)
            Assert.Equal(Tools.Nix("nix-instantiate", "--store", _tmp.Sub("nix"), file).Out, expected.Out);
        int total = reference.ValidPaths().Count;
        Assert.Equal(311, total);

        KillRuns("instantiate", 20, root => ["instantiate", "--store", root, file], expected.Out, reference.DbText(), store =>
        {
            if (!store.HasSchema) return "before the database had its tables";
            int valid = store.ValidPaths().Count;
            return valid == total ? "finished (all paths valid)"
                : valid == 0 ? "database open, nothing registered"
                : valid * 2 < total ? "under half registered" : "half or more registered";
        });
    }
}
