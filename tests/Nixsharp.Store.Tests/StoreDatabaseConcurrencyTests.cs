// Many writers on one store database at once: threads with a connection each, separate processes,
// and real Nix writing at the same time. Nothing may fail, and every path must end up exactly once.
namespace Nixsharp.Store.Tests;

using Microsoft.Data.Sqlite;
using Nixsharp.Store.Database;
using Xunit;

public sealed class StoreDatabaseConcurrencyTests : IDisposable
{
    private const int Writers = 8;
    private const int PathsPerWriter = 30;
    private readonly TempStoreRoot _store = new();

    public void Dispose() => _store.Dispose();

    /// <summary>Checks the database directly: one row per path, and the expected references.</summary>
    private void AssertEachPathOnce(string sharedPath, IReadOnlyCollection<string> registered)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _store.Layout.DbFile, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "select path, count(*) from ValidPaths group by path";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var r = cmd.ExecuteReader())
            while (r.Read()) counts[r.GetString(0)] = r.GetInt64(1);
        Assert.Equal(registered.Count + 1, counts.Count);
        Assert.All(counts.Values, n => Assert.Equal(1, n));
        Assert.Contains(sharedPath, counts.Keys);
        Assert.All(registered, p => Assert.True(counts.ContainsKey(p), p));

        using var db = new StoreDatabase(_store.Layout);
        Assert.Equal(registered.Order(StringComparer.Ordinal), db.QueryReferrers(sharedPath).ToList());
        Assert.Equal(RegisterWorker.SharedInfo(sharedPath), db.QueryPathInfo(sharedPath));
    }

    [Fact]
    public void EightThreadsWithAConnectionEachOnANewStore()
    {
        var shared = TestPaths.Random("shared");
        using var start = new Barrier(Writers);
        var results = new List<string>[Writers];
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                results[w] = RegisterWorker.Run(_store.Layout, w, shared, PathsPerWriter);
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        Assert.Equal("10", File.ReadAllText(_store.Layout.SchemaFile));
        AssertEachPathOnce(shared, results.SelectMany(r => r).ToList());
    }

    [Fact]
    public void EightThreadsSharingOneInstance()
    {
        var shared = TestPaths.Random("shared");
        using var db = new StoreDatabase(_store.Layout);
        db.RegisterValidPath(RegisterWorker.SharedInfo(shared));
        var registered = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, w =>
        {
            for (int i = 0; i < PathsPerWriter; i++)
            {
                var p = TestPaths.Random($"t{w}-{i}");
                db.RegisterValidPath(TestPaths.Info(p, shared));
                Assert.True(db.IsValidPath(p));
                registered.Add(p);
            }
        });
        AssertEachPathOnce(shared, registered.ToList());
    }

    [Fact]
    public async Task EightProcessesOnANewStore()
    {
        var shared = TestPaths.Random("shared");
        const int PathsPerProcess = 150;
        var assembly = typeof(WorkerProgram).Assembly.Location;
        var startAt = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds().ToString();
        var runs = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
            Processes.Run("dotnet", [assembly, "register-worker", _store.Root, w.ToString(), shared, PathsPerProcess.ToString(), startAt]))).ToArray();
        var results = await Task.WhenAll(runs);

        var registered = new List<string>();
        foreach (var r in results)
        {
            Assert.True(r.ExitCode == 0, r.Describe());
            var lines = Processes.Lines(r.Stdout);
            Assert.Equal(PathsPerProcess, lines.Length);
            registered.AddRange(lines);
        }
        AssertEachPathOnce(shared, registered);
    }

    [Fact]
    public async Task NixsharpThreadsAndNixProcessesWriteTogether()
    {
        // Nix creates the store; then four nix-store processes add files while four threads register paths.
        var files = _store.Scratch("files");
        var seed = Path.Combine(files, "seed");
        File.WriteAllText(seed, "seed\n");
        Processes.Nix("nix-store", "--store", _store.Root, "--add", seed);

        var shared = TestPaths.Random("shared");
        using (var db = new StoreDatabase(_store.Layout)) db.RegisterValidPath(RegisterWorker.SharedInfo(shared));
        var nixRuns = Enumerable.Range(0, 4).Select(n =>
        {
            var names = Enumerable.Range(0, 10).Select(i =>
            {
                var f = Path.Combine(files, $"n{n}-{i}");
                File.WriteAllText(f, $"file {n} {i}\n");
                return f;
            }).ToList();
            return Task.Run(() => Processes.Run("nix-store", ["--store", _store.Root, "--add", .. names]));
        }).ToArray();
        var ourRuns = Enumerable.Range(0, 4).Select(w => Task.Run(() => RegisterWorker.Run(_store.Layout, w, shared, PathsPerWriter))).ToArray();
        var nixResults = await Task.WhenAll(nixRuns);
        var ours = (await Task.WhenAll(ourRuns)).SelectMany(r => r).ToList();

        var nixPaths = new List<string>();
        foreach (var r in nixResults)
        {
            Assert.True(r.ExitCode == 0, r.Describe());
            nixPaths.AddRange(Processes.Lines(r.Stdout));
        }
        Assert.Equal(40, nixPaths.Count);

        using var check = new StoreDatabase(_store.Layout);
        Assert.All(nixPaths, p => Assert.True(check.IsValidPath(p), p));
        Assert.Equal(ours.Order(StringComparer.Ordinal), check.QueryReferrers(shared).ToList());
        Assert.Equal(1 + 1 + 40 + ours.Count, check.QueryAllValidPaths().Count);
        // And Nix sees ours.
        var validity = Processes.Run("nix-store", ["--store", _store.Root, "--check-validity", .. ours.Take(20), shared]);
        Assert.True(validity.ExitCode == 0, validity.Describe());
    }
}
