// The store database on its own: schema creation, registering and querying paths, atomicity of
// batches, invalidation, and the errors for databases it must not or cannot use. Interoperation
// with real Nix is in NixInteropTests, concurrent use in StoreDatabaseConcurrencyTests.
namespace Nixsharp.Store.Tests;

using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Store.Database;
using Xunit;

public sealed class StoreDatabaseTests : IDisposable
{
    private readonly TempStoreRoot _store = new();

    public void Dispose() => _store.Dispose();

    private StoreDatabase Open() => new(_store.Layout);

    /// <summary>A plain connection to the same file, to look at what was really written.</summary>
    private SqliteConnection Raw()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _store.Layout.DbFile, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    private static List<object?[]> Rows(SqliteConnection c, string sql, params (string, object)[] parameters)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in parameters) cmd.Parameters.AddWithValue(n, v);
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < r.FieldCount; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    [Fact]
    public void NewStoreGetsTheDatabaseDirectorySchemaFileAndWalJournal()
    {
        Assert.False(Directory.Exists(_store.Layout.DbDir));
        using (Open()) { }
        Assert.Equal("10", File.ReadAllText(_store.Layout.SchemaFile));
        using var c = Raw();
        Assert.Equal("wal", Rows(c, "pragma journal_mode")[0][0]);
        var names = Rows(c, "select type, name from sqlite_master where name not like 'sqlite_%' order by name")
            .Select(r => $"{r[0]} {r[1]}").ToList();
        Assert.Equal(new[]
        {
            "trigger DeleteSelfRefs", "table DerivationOutputs", "index IndexDerivationOutputs", "index IndexReference",
            "index IndexReferrer", "table Refs", "table ValidPaths",
        }, names);
        // Nix 2.8 adds the ca-derivations tables only with that experimental feature.
        Assert.DoesNotContain(names, n => n.Contains("Realisations"));
    }

    [Fact]
    public void EveryFieldRoundTripsAndIsStoredAsNixStoresIt()
    {
        var dep = TestPaths.Random("dep");
        var path = TestPaths.Random("pkg");
        var deriver = TestPaths.Random("pkg.drv");
        var info = TestPaths.Info(path, dep, path) with
        {
            Deriver = deriver,
            RegistrationTime = 1_700_000_000,
            Ultimate = true,
            Signatures = ValidPathInfo.PathSet("cache.example.org-1:c2lnMg==", "a.example-1:c2lnMQ=="),
        };
        var plain = TestPaths.Info(dep) with { NarSize = 0 };
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using (var db = Open()) db.RegisterValidPaths([info, plain]);
        long after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using (var db = Open())
        {
            Assert.Equal(info, db.QueryPathInfo(path));
            var readPlain = db.QueryPathInfo(dep)!;
            Assert.InRange(readPlain.RegistrationTime, before, after);
            Assert.Equal(plain with { RegistrationTime = readPlain.RegistrationTime }, readPlain);
            Assert.True(db.IsValidPath(path));
            Assert.False(db.IsValidPath(TestPaths.Random("other")));
            Assert.Null(db.QueryPathInfo(TestPaths.Random("other")));
        }

        using var c = Raw();
        var row = Rows(c, "select hash, registrationTime, deriver, narSize, ultimate, sigs, ca from ValidPaths where path = $p", ("$p", path))[0];
        Assert.Equal(info.NarHash, row[0]);
        Assert.Matches("^sha256:[0-9a-f]{64}$", (string)row[0]!);
        Assert.Equal(1_700_000_000L, row[1]);
        Assert.Equal(deriver, row[2]);
        Assert.Equal(info.NarSize, row[3]);
        Assert.Equal(1L, row[4]);
        Assert.Equal("a.example-1:c2lnMQ== cache.example.org-1:c2lnMg==", row[5]);
        Assert.Null(row[6]);
        // Zero size, false, no signatures and no deriver are nulls, as Nix writes them.
        var plainRow = Rows(c, "select deriver, narSize, ultimate, sigs, ca from ValidPaths where path = $p", ("$p", dep))[0];
        Assert.All(plainRow, Assert.Null);
        var refs = Rows(c, "select r.path from Refs join ValidPaths v on referrer = v.id join ValidPaths r on reference = r.id where v.path = $p order by r.path", ("$p", path));
        Assert.Equal(new[] { dep, path }.Order(StringComparer.Ordinal), refs.Select(r => (string)r[0]!));
    }

    [Fact]
    public void ReferencesMayPointForwardOrBackwardInTheBatch()
    {
        var a = TestPaths.Random("a");
        var b = TestPaths.Random("b");
        var c = TestPaths.Random("c");
        using var db = Open();
        // c refers to b and b to a, but they come before what they refer to.
        db.RegisterValidPaths([TestPaths.Info(c, b, a), TestPaths.Info(b, a), TestPaths.Info(a)]);
        Assert.Equal(ValidPathInfo.PathSet(a, b), db.QueryReferences(c));
        Assert.Equal(ValidPathInfo.PathSet(a), db.QueryReferences(b));
        Assert.Empty(db.QueryReferences(a));
        Assert.Equal(ValidPathInfo.PathSet(b, c), db.QueryReferrers(a));
        Assert.Equal(ValidPathInfo.PathSet(c), db.QueryReferrers(b));
        Assert.Empty(db.QueryReferrers(c));
        Assert.Equal(ValidPathInfo.PathSet(a, b, c), db.QueryAllValidPaths());
        // And a later batch may refer to what is already valid.
        var d = TestPaths.Random("d");
        db.RegisterValidPath(TestPaths.Info(d, c));
        Assert.Equal(ValidPathInfo.PathSet(d), db.QueryReferrers(c));
        Assert.Throws<InvalidPathException>(() => db.QueryReferences(TestPaths.Random("nope")));
    }

    [Fact]
    public void ABatchWithAMissingReferenceRegistersNothing()
    {
        var kept = TestPaths.Random("kept");
        using var db = Open();
        var original = TestPaths.Info(kept);
        db.RegisterValidPath(original);

        var a = TestPaths.Random("a");
        var b = TestPaths.Random("b");
        var missing = TestPaths.Random("missing");
        var changedKept = original with { NarHash = TestPaths.RandomNarHash(), NarSize = 5 };
        var e = Assert.Throws<MissingReferenceException>(() =>
            db.RegisterValidPaths([TestPaths.Info(a), changedKept, TestPaths.Info(b, a, missing)]));
        Assert.Equal(b, e.Referrer);
        Assert.Equal(missing, e.Reference);
        Assert.Contains(b, e.Message);
        Assert.Contains(missing, e.Message);
        Assert.Contains(_store.Layout.DbFile, e.Message);

        // Neither the new paths nor the update of the valid one survived.
        Assert.Equal(ValidPathInfo.PathSet(kept), db.QueryAllValidPaths());
        Assert.Equal(original.NarHash, db.QueryPathInfo(kept)!.NarHash);
        using var c = Raw();
        Assert.Equal(0L, Rows(c, "select count(*) from Refs")[0][0]);
    }

    [Fact]
    public void CyclesAreRefusedButSelfReferencesAreFine()
    {
        var a = TestPaths.Random("a");
        var b = TestPaths.Random("b");
        var c = TestPaths.Random("c");
        using var db = Open();
        var e = Assert.Throws<StoreDatabaseException>(() =>
            db.RegisterValidPaths([TestPaths.Info(a, b), TestPaths.Info(b, c), TestPaths.Info(c, a)]));
        Assert.Contains("cycle", e.Message);
        Assert.Empty(db.QueryAllValidPaths());

        db.RegisterValidPaths([TestPaths.Info(a, a, b), TestPaths.Info(b, b)]);
        Assert.Equal(ValidPathInfo.PathSet(a, b), db.QueryReferences(a));
        Assert.Equal(ValidPathInfo.PathSet(a, b), db.QueryReferrers(b));
    }

    [Fact]
    public void RegisteringAValidPathAgainUpdatesItAsNixDoes()
    {
        var a = TestPaths.Random("a");
        var b = TestPaths.Random("b");
        var p = TestPaths.Random("p");
        using var db = Open();
        var first = TestPaths.Info(p, a) with
        {
            Deriver = TestPaths.Random("p.drv"),
            RegistrationTime = 1000,
            Signatures = ValidPathInfo.PathSet("k-1:one"),
        };
        db.RegisterValidPaths([TestPaths.Info(a), TestPaths.Info(b), first]);
        var second = TestPaths.Info(p, b) with
        {
            Deriver = TestPaths.Random("q.drv"),
            RegistrationTime = 2000,
            Ultimate = true,
            Signatures = ValidPathInfo.PathSet("k-2:two"),
        };
        db.RegisterValidPath(second);

        var now = db.QueryPathInfo(p)!;
        // Hash, size, ultimate, signatures and content address are replaced...
        Assert.Equal(second.NarHash, now.NarHash);
        Assert.Equal(second.NarSize, now.NarSize);
        Assert.True(now.Ultimate);
        Assert.Equal(ValidPathInfo.PathSet("k-2:two"), now.Signatures);
        // ...the registration time and deriver stay, and references are only added.
        Assert.Equal(1000, now.RegistrationTime);
        Assert.Equal(first.Deriver, now.Deriver);
        Assert.Equal(ValidPathInfo.PathSet(a, b), now.References);
        using var c = Raw();
        Assert.Equal(1L, Rows(c, "select count(*) from ValidPaths where path = $p", ("$p", p))[0][0]);
    }

    [Fact]
    public void InvalidatingIsRefusedWhileOtherPathsReferToIt()
    {
        var lib = TestPaths.Random("lib");
        var app = TestPaths.Random("app");
        var self = TestPaths.Random("self");
        var drv = TestPaths.Random("app.drv");
        using var db = Open();
        db.RegisterValidPaths([TestPaths.Info(lib, lib), TestPaths.Info(app, lib, app), TestPaths.Info(self, self), TestPaths.Info(drv, lib)],
            new Dictionary<string, IReadOnlyDictionary<string, string>> { [drv] = new Dictionary<string, string> { ["out"] = app } });

        var e = Assert.Throws<PathInUseException>(() => db.InvalidatePath(lib));
        Assert.Equal(new[] { app, drv }.Order(StringComparer.Ordinal), e.Referrers);
        Assert.Contains(app, e.Message);
        Assert.True(db.IsValidPath(lib));

        // Only self-references: fine.
        Assert.True(db.InvalidatePath(self));
        Assert.False(db.IsValidPath(self));
        Assert.False(db.InvalidatePath(self));

        Assert.True(db.InvalidatePath(app));
        Assert.Equal(ValidPathInfo.PathSet(drv), db.QueryValidDerivers(app));
        Assert.True(db.InvalidatePath(drv));
        Assert.Empty(db.QueryValidDerivers(app));
        Assert.True(db.InvalidatePath(lib));
        Assert.Empty(db.QueryAllValidPaths());
        using var c = Raw();
        Assert.Equal(0L, Rows(c, "select count(*) from Refs")[0][0]);
        Assert.Equal(0L, Rows(c, "select count(*) from DerivationOutputs")[0][0]);
    }

    [Fact]
    public void DerivationOutputsAreStoredForDrvPaths()
    {
        var drv = TestPaths.Random("hello-2.12.drv");
        var outPath = TestPaths.Random("hello-2.12");
        var devPath = TestPaths.Random("hello-2.12-dev");
        using var db = Open();
        var outputs = new Dictionary<string, string> { ["out"] = outPath, ["dev"] = devPath };
        db.RegisterValidPath(TestPaths.Info(drv), outputs);
        Assert.Equal(outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal), db.QueryDerivationOutputs(drv));
        Assert.Equal(ValidPathInfo.PathSet(drv), db.QueryValidDerivers(devPath));
        // The outputs need not be valid themselves.
        Assert.False(db.IsValidPath(outPath));
        Assert.Throws<InvalidPathException>(() => db.QueryDerivationOutputs(TestPaths.Random("x.drv")));

        var notDrv = TestPaths.Random("plain");
        Assert.Throws<ArgumentException>(() => db.RegisterValidPath(TestPaths.Info(notDrv), outputs));
        Assert.False(db.IsValidPath(notDrv));
    }

    [Fact]
    public void PathsAreFoundByHashPartAsNixDoes()
    {
        using var db = Open();
        var paths = Enumerable.Range(0, 20).Select(i => TestPaths.Random($"p{i}")).ToList();
        db.RegisterValidPaths(paths.Select(p => TestPaths.Info(p)).ToList());
        foreach (var p in paths)
            Assert.Equal(p, db.QueryPathFromHashPart(p.Substring("/nix/store/".Length, 32)));
        // Nix looks for the first path at or after storeDir/hashPart: one that is not its prefix is no match.
        var ones = "/nix/store/" + new string('1', 32) + "-ones";
        db.RegisterValidPath(TestPaths.Info(ones));
        Assert.Equal(ones, db.QueryPathFromHashPart(new string('1', 32)));
        Assert.Null(db.QueryPathFromHashPart(new string('0', 31) + "z"));
        Assert.Null(db.QueryPathFromHashPart(new string('0', 32)));
        Assert.Throws<ArgumentException>(() => db.QueryPathFromHashPart("tooshort"));
        Assert.Throws<ArgumentException>(() => db.QueryPathFromHashPart(new string('e', 32)));
    }

    [Fact]
    public void UpdatePathInfoAndAddSignaturesChangeOnlyWhatTheySay()
    {
        var dep = TestPaths.Random("dep");
        var p = TestPaths.Random("p");
        using var db = Open();
        var info = TestPaths.Info(p, dep) with { RegistrationTime = 42, Signatures = ValidPathInfo.PathSet("k-1:aaa") };
        db.RegisterValidPaths([TestPaths.Info(dep), info]);

        db.AddSignatures(p, ["k-2:bbb", "k-1:aaa"]);
        Assert.Equal(ValidPathInfo.PathSet("k-1:aaa", "k-2:bbb"), db.QueryPathInfo(p)!.Signatures);
        using (var c = Raw())
            Assert.Equal("k-1:aaa k-2:bbb", Rows(c, "select sigs from ValidPaths where path = $p", ("$p", p))[0][0]);

        var updated = info with { NarHash = TestPaths.RandomNarHash(), NarSize = 77, Ultimate = true, Signatures = [], References = [] };
        db.UpdatePathInfo(updated);
        var now = db.QueryPathInfo(p)!;
        Assert.Equal(updated.NarHash, now.NarHash);
        Assert.Equal(77, now.NarSize);
        Assert.True(now.Ultimate);
        Assert.Empty(now.Signatures);
        Assert.Equal(42, now.RegistrationTime);
        Assert.Equal(ValidPathInfo.PathSet(dep), now.References);

        var stranger = TestPaths.Random("stranger");
        Assert.Throws<InvalidPathException>(() => db.UpdatePathInfo(TestPaths.Info(stranger)));
        Assert.Throws<InvalidPathException>(() => db.AddSignatures(stranger, ["k-1:x"]));
        Assert.Throws<ArgumentException>(() => db.AddSignatures(p, ["has space"]));
    }

    [Fact]
    public void ContentAddressesMustDescribeThePath()
    {
        var tree = _store.Scratch("src");
        File.WriteAllText(Path.Combine(tree, "file"), "contents\n");
        var computer = new StorePathComputer("/nix/store");
        var source = computer.ComputeSourcePath(tree, "src", out var narHash, out var narSize);
        var sourceInfo = new ValidPathInfo
        {
            Path = source, NarHash = ValidPathInfo.FormatNarHash(narHash), NarSize = narSize,
            ContentAddress = "fixed:r:sha256:" + NixBase32.Encode(narHash),
        };
        var text = Encoding.UTF8.GetBytes("uses " + source);
        var textPath = computer.ComputeTextPath("uses.txt", text, [source]);
        var textInfo = TestPaths.Info(textPath, source) with { ContentAddress = "text:sha256:" + NixBase32.Encode(SHA256.HashData(text)) };
        var flatHash = SHA1.HashData("flat"u8);
        var flatPath = computer.MakeFixedOutputPath(false, "sha1", flatHash, "flat.txt");
        var flatInfo = TestPaths.Info(flatPath) with { ContentAddress = "fixed:sha1:" + NixBase32.Encode(flatHash) };

        using var db = Open();
        db.RegisterValidPaths([textInfo, sourceInfo, flatInfo]);
        Assert.Equal(textInfo.ContentAddress, db.QueryPathInfo(textPath)!.ContentAddress);
        Assert.Equal(sourceInfo.ContentAddress, db.QueryPathInfo(source)!.ContentAddress);

        // The same claims on other paths, or with other references, are refused.
        var wrong = TestPaths.Random("src");
        Assert.Throws<ArgumentException>(() => db.RegisterValidPath(sourceInfo with { Path = wrong }));
        Assert.Throws<ArgumentException>(() => db.RegisterValidPath(textInfo with { References = [] }));
        Assert.Throws<ArgumentException>(() => db.RegisterValidPath(flatInfo with { References = ValidPathInfo.PathSet(source) }));
        Assert.Throws<ArgumentException>(() => db.RegisterValidPath(TestPaths.Info(TestPaths.Random("x")) with { ContentAddress = "bogus" }));
        Assert.False(db.IsValidPath(wrong));
    }

    [Fact]
    public void MalformedInfoIsRefusedBeforeAnythingIsWritten()
    {
        var good = TestPaths.Random("good");
        using var db = Open();
        var bad = new[]
        {
            TestPaths.Info("/nix/store/not-a-store-path"),
            TestPaths.Info("/elsewhere/" + Path.GetFileName(TestPaths.Random("x"))),
            TestPaths.Info(TestPaths.Random("x")) with { NarHash = "sha256:" + NixBase32.Encode(new byte[32]) },
            TestPaths.Info(TestPaths.Random("x")) with { NarHash = "md5:" + new string('0', 32) },
            TestPaths.Info(TestPaths.Random("x")) with { Signatures = ValidPathInfo.PathSet("two words") },
            TestPaths.Info(TestPaths.Random("x"), "/nix/store/bad"),
            TestPaths.Info(TestPaths.Random("x")) with { Deriver = "x.drv" },
        };
        foreach (var info in bad)
            Assert.Throws<ArgumentException>(() => db.RegisterValidPaths([TestPaths.Info(good), info]));
        Assert.Throws<ArgumentException>(() => db.RegisterValidPaths([TestPaths.Info(good), TestPaths.Info(good)]));
        Assert.Empty(db.QueryAllValidPaths());
    }

    // ---- Databases that cannot or must not be used ----

    private void WriteSchemaFile(string text)
    {
        Directory.CreateDirectory(_store.Layout.DbDir);
        File.WriteAllText(_store.Layout.SchemaFile, text);
    }

    [Fact]
    public void ACorruptDatabaseFileGivesAClearError()
    {
        WriteSchemaFile("10");
        File.WriteAllBytes(_store.Layout.DbFile, RandomNumberGenerator.GetBytes(64 * 1024));
        var e = Assert.Throws<StoreDatabaseException>(Open);
        Assert.Contains(_store.Layout.DbFile, e.Message);
        Assert.Contains("corrupt", e.Message);
        Assert.IsType<SqliteException>(e.InnerException);

        // Also when there is no schema file, i.e. the store looks new.
        File.Delete(_store.Layout.SchemaFile);
        e = Assert.Throws<StoreDatabaseException>(Open);
        Assert.Contains("corrupt", e.Message);
        Assert.False(File.Exists(_store.Layout.SchemaFile));
    }

    [Fact]
    public void ANewerSchemaIsRefused()
    {
        using (Open()) { }
        WriteSchemaFile("11");
        var e = Assert.Throws<StoreSchemaException>(Open);
        Assert.Equal(11, e.FoundVersion);
        Assert.Contains("11", e.Message);
        Assert.Contains("version 10", e.Message);
        Assert.Contains(_store.Layout.DbFile, e.Message);
        Assert.Equal("11", File.ReadAllText(_store.Layout.SchemaFile));
    }

    [Fact]
    public void AnOlderSchemaIsRefusedWithHowToUpgrade()
    {
        using (Open()) { }
        WriteSchemaFile("7");
        var e = Assert.Throws<StoreSchemaException>(Open);
        Assert.Equal(7, e.FoundVersion);
        Assert.Contains("nix-store --verify", e.Message);
    }

    [Fact]
    public void AnUnreadableSchemaFileIsRefused()
    {
        WriteSchemaFile("ten");
        var e = Assert.Throws<StoreSchemaException>(Open);
        Assert.Contains(_store.Layout.SchemaFile, e.Message);
        Assert.Contains("'ten'", e.Message);
        Assert.False(File.Exists(_store.Layout.DbFile));
    }

    [Fact]
    public void ASchemaFileWithoutItsDatabaseIsAnError()
    {
        WriteSchemaFile("10");
        var e = Assert.Throws<StoreDatabaseException>(Open);
        Assert.Contains("missing", e.Message);
        Assert.False(File.Exists(_store.Layout.DbFile));
    }

    [Fact]
    public void ADatabaseWithoutNixsTablesIsRefused()
    {
        WriteSchemaFile("10");
        using (var c = Raw())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "create table Unrelated (x integer)";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<StoreSchemaException>(Open);
        Assert.Contains("ValidPaths", e.Message);
    }

    [Fact]
    public void ADatabaseHeldByAnotherWriterPastTheTimeoutIsReportedBusy()
    {
        using (Open()) { }
        using var holder = Raw();
        using var hold = holder.BeginTransaction(deferred: false);
        using (var cmd = holder.CreateCommand())
        {
            cmd.CommandText = "insert into ValidPaths (path, hash, registrationTime) values ('/nix/store/held', 'sha256:00', 1)";
            cmd.ExecuteNonQuery();
        }
        // Readers are not blocked by a writer (write-ahead log); writers wait, then give up.
        using var db = new StoreDatabase(_store.Layout, TimeSpan.FromSeconds(1));
        Assert.Empty(db.QueryAllValidPaths());
        var started = DateTime.UtcNow;
        var e = Assert.Throws<StoreDatabaseException>(() => db.RegisterValidPath(TestPaths.Info(TestPaths.Random("p"))));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(30));
        Assert.Contains("busy", e.Message);
        Assert.Contains(_store.Layout.DbFile, e.Message);
    }

    [Fact]
    public async Task AWriterWaitsForAnotherWriterToFinish()
    {
        using (Open()) { }
        var holder = Raw();
        var hold = holder.BeginTransaction(deferred: false);
        using (var cmd = holder.CreateCommand())
        {
            cmd.CommandText = "insert into ValidPaths (path, hash, registrationTime) values ('/nix/store/held', 'sha256:00', 1)";
            cmd.ExecuteNonQuery();
        }
        var release = Task.Run(async () =>
        {
            await Task.Delay(1500);
            hold.Rollback();
            hold.Dispose();
            holder.Dispose();
        });
        using var db = Open();
        var p = TestPaths.Random("p");
        db.RegisterValidPath(TestPaths.Info(p));
        await release;
        Assert.True(db.IsValidPath(p));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADatabaseThatCannotBeWrittenGivesAClearError(bool directoryToo)
    {
        using (Open()) { }
        // The file alone, or its directory (where SQLite must create the write-ahead log).
        var target = directoryToo ? _store.Layout.DbDir : _store.Layout.DbFile;
        // Root may write read-only files, so as root make it immutable instead (needs chattr and ext4 or similar).
        bool asRoot = Environment.IsPrivilegedProcess;
        var mode = File.GetUnixFileMode(target);
        if (asRoot) Assert.Equal(0, Processes.Run("chattr", ["+i", target]).ExitCode);
        else File.SetUnixFileMode(target, mode & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        try
        {
            var e = Assert.Throws<StoreDatabaseException>(Open);
            Assert.Contains(_store.Layout.DbFile, e.Message);
            Assert.Contains("for writing", e.Message);
            Assert.Contains("daemon", e.Message);
        }
        finally
        {
            if (asRoot) Processes.Run("chattr", ["-i", target]);
            else File.SetUnixFileMode(target, mode);
        }
        using var db = Open();
        Assert.Empty(db.QueryAllValidPaths());
    }

    [Fact]
    public void DisposedDatabaseRefusesWork()
    {
        var db = Open();
        db.Dispose();
        db.Dispose();
        Assert.Throws<ObjectDisposedException>(() => db.QueryAllValidPaths());
    }
}
