// Real Nix 2.8 and nixsharp on the same store database, both ways: nixsharp reads what Nix
// registered exactly as Nix reports it, and Nix accepts (queries, verifies, extends, deletes from)
// a store whose database nixsharp created.
namespace Nixsharp.Store.Tests;

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Store.Database;
using Xunit;

/// <summary>A chroot store filled by real Nix: added files (flat, recursive, SHA-1), a derivation
/// with two outputs, and its build (deriver, ultimate, a self-reference).</summary>
public sealed class NixMadeStore : IDisposable
{
    public TempStoreRoot Store { get; } = new();
    public string Hello { get; }
    public string FlatHello { get; }
    public string Sha1Tree { get; }
    public string Drv { get; }
    public string Out { get; }

    public NixMadeStore()
    {
        var src = Store.Scratch("src");
        var hello = Path.Combine(src, "hello.txt");
        File.WriteAllText(hello, "hello\n");
        var tree = Path.Combine(src, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        File.WriteAllText(Path.Combine(tree, "a"), "a\n");
        File.WriteAllText(Path.Combine(tree, "sub", "run"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(tree, "sub", "run"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "a");
        // A static busybox as the builder's shell, run as "sh" through a symlink of that name.
        var bb = Path.Combine(src, "bb");
        Directory.CreateDirectory(bb);
        File.Copy("/usr/bin/busybox", Path.Combine(bb, "busybox"));
        File.CreateSymbolicLink(Path.Combine(bb, "sh"), "busybox");
        var nixFile = Path.Combine(src, "demo.nix");
        File.WriteAllText(nixFile, """
            let bb = ./bb; dep = builtins.toFile "dep.txt" "dep"; in
            derivation {
              name = "demo"; system = builtins.currentSystem; builder = "${bb}/sh";
              args = [ "-c" "echo ${dep} $out > $out; echo dev > $dev" ];
              outputs = [ "out" "dev" ];
            }
            """);

        var root = Store.Root;
        Hello = Processes.Nix("nix-store", "--store", root, "--add", hello).Trim();
        FlatHello = Processes.Nix("nix-store", "--store", root, "--add-fixed", "sha256", hello).Trim();
        Sha1Tree = Processes.Nix("nix-store", "--store", root, "--add-fixed", "--recursive", "sha1", tree).Trim();
        Drv = Processes.Nix("nix-instantiate", "--store", root, nixFile).Trim();
        Out = Processes.Nix("nix-build", "--store", root, "--no-out-link", nixFile).Trim();
    }

    public void Dispose() => Store.Dispose();
}

public sealed class NixInteropTests : IClassFixture<NixMadeStore>
{
    private readonly NixMadeStore _nix;

    public NixInteropTests(NixMadeStore nix) { _nix = nix; }

    /// <summary>What `nix path-info --json` says about every valid path, by path.</summary>
    private static Dictionary<string, JsonElement> NixPathInfo(string root, params string[] paths)
    {
        var json = Processes.Nix("nix", ["--extra-experimental-features", "nix-command", "path-info", "--store", root, "--json",
            .. paths.Length == 0 ? ["--all"] : paths]);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!, e => e.Clone(), StringComparer.Ordinal);
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.GetString() : null;

    /// <summary>Nix's JSON gives NAR hashes in SRI form (sha256-base64); the database has sha256:base16.</summary>
    private static string SriToColumn(string sri)
    {
        Assert.StartsWith("sha256-", sri);
        return "sha256:" + Convert.ToHexStringLower(Convert.FromBase64String(sri["sha256-".Length..]));
    }

    private static void AssertAsNixReports(ValidPathInfo? info, JsonElement nix)
    {
        Assert.NotNull(info);
        Assert.Equal(SriToColumn(nix.GetProperty("narHash").GetString()!), info.NarHash);
        Assert.Equal(nix.GetProperty("narSize").GetInt64(), info.NarSize);
        Assert.Equal(nix.GetProperty("references").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal), info.References.ToList());
        Assert.Equal(OptionalString(nix, "ca"), info.ContentAddress);
        Assert.Equal(OptionalString(nix, "deriver"), info.Deriver);
        Assert.Equal(nix.GetProperty("registrationTime").GetInt64(), info.RegistrationTime);
        Assert.Equal(nix.TryGetProperty("ultimate", out var u) && u.GetBoolean(), info.Ultimate);
        var sigs = nix.TryGetProperty("signatures", out var s) ? s.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
        Assert.Equal(sigs.Order(StringComparer.Ordinal), info.Signatures.ToList());
    }

    [Fact]
    public void EveryPathNixRegisteredReadsAsNixReportsIt()
    {
        var nixInfos = NixPathInfo(_nix.Store.Root);
        using var db = new StoreDatabase(_nix.Store.Layout);
        Assert.Equal(nixInfos.Keys.Order(StringComparer.Ordinal), db.QueryAllValidPaths().ToList());
        foreach (var (path, nix) in nixInfos) AssertAsNixReports(db.QueryPathInfo(path), nix);

        // The store has every kind of row: flat, recursive and SHA-1 fixed, text, built with a deriver.
        var cas = nixInfos.Keys.Select(p => db.QueryPathInfo(p)!.ContentAddress ?? "none").ToList();
        Assert.Contains(cas, c => c.StartsWith("fixed:r:sha256:"));
        Assert.Contains(cas, c => c.StartsWith("fixed:sha256:"));
        Assert.Contains(cas, c => c.StartsWith("fixed:r:sha1:"));
        Assert.Contains(cas, c => c.StartsWith("text:sha256:"));
        var built = db.QueryPathInfo(_nix.Out)!;
        Assert.Equal(_nix.Drv, built.Deriver);
        Assert.True(built.Ultimate);
        Assert.Contains(_nix.Out, built.References);
    }

    [Fact]
    public void SingleQueriesAgreeWithNixStoreQuery()
    {
        using var db = new StoreDatabase(_nix.Store.Layout);
        var root = _nix.Store.Root;
        foreach (var path in new[] { _nix.Hello, _nix.FlatHello, _nix.Sha1Tree, _nix.Drv, _nix.Out })
        {
            var info = db.QueryPathInfo(path)!;
            // nix-store --query --hash prints base 32.
            var hash = Processes.Nix("nix-store", "--store", root, "--query", "--hash", path).Trim();
            Assert.Equal("sha256:" + NixBase32.Encode(Convert.FromHexString(info.NarHash["sha256:".Length..])), hash);
            Assert.Equal(Processes.Nix("nix-store", "--store", root, "--query", "--size", path).Trim(), info.NarSize.ToString());
            Assert.Equal(Processes.Lines(Processes.Nix("nix-store", "--store", root, "--query", "--references", path)).Order(StringComparer.Ordinal),
                db.QueryReferences(path).ToList());
            Assert.Equal(Processes.Lines(Processes.Nix("nix-store", "--store", root, "--query", "--referrers", path)).Order(StringComparer.Ordinal),
                db.QueryReferrers(path).ToList());
            var deriver = Processes.Nix("nix-store", "--store", root, "--query", "--deriver", path).Trim();
            Assert.Equal(deriver == "unknown-deriver" ? null : deriver, info.Deriver);
            Assert.Equal(path, db.QueryPathFromHashPart(path.Substring("/nix/store/".Length, 32)));
        }
    }

    [Fact]
    public void DerivationOutputsAreTheOnesNixRegistered()
    {
        using var db = new StoreDatabase(_nix.Store.Layout);
        var outputs = db.QueryDerivationOutputs(_nix.Drv);
        Assert.Equal(new[] { "dev", "out" }, outputs.Keys);
        Assert.Equal(_nix.Out, outputs["out"]);
        var nixOutputs = Processes.Lines(Processes.Nix("nix-store", "--store", _nix.Store.Root, "--query", "--outputs", _nix.Drv));
        Assert.Equal(nixOutputs.Order(StringComparer.Ordinal), outputs.Values.Order(StringComparer.Ordinal));
        Assert.EndsWith("-demo-dev", outputs["dev"]);
        Assert.Equal(new[] { _nix.Drv }, db.QueryValidDerivers(_nix.Out).ToList());
        Assert.Equal(new[] { _nix.Drv }, db.QueryValidDerivers(outputs["dev"]).ToList());
    }

    [Fact]
    public void NixsRowsRegisterUnchangedInANewNixsharpStore()
    {
        // Nix's own content addresses (text with references, flat, recursive SHA-1 and SHA-256) pass
        // the check that they describe their paths, and everything reads back the same.
        ValidPathInfo[] infos;
        Dictionary<string, IReadOnlyDictionary<string, string>> outputs;
        using (var nixDb = new StoreDatabase(_nix.Store.Layout))
        {
            infos = nixDb.QueryAllValidPaths().Select(p => nixDb.QueryPathInfo(p)!).Reverse().ToArray();
            outputs = new() { [_nix.Drv] = nixDb.QueryDerivationOutputs(_nix.Drv) };
        }
        using var fresh = new TempStoreRoot();
        using var db = new StoreDatabase(fresh.Layout);
        db.RegisterValidPaths(infos, outputs);
        foreach (var info in infos) Assert.Equal(info, db.QueryPathInfo(info.Path));
        Assert.Equal(outputs[_nix.Drv], db.QueryDerivationOutputs(_nix.Drv));
    }

    private static List<object?[]> SchemaDescription(string dbFile)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        var rows = new List<object?[]>();
        void Add(string label, string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var row = new object?[r.FieldCount + 1];
                row[0] = label;
                for (int i = 0; i < r.FieldCount; i++) row[i + 1] = r.IsDBNull(i) ? null : r.GetValue(i);
                rows.Add(row);
            }
        }
        Add("objects", "select type, name, tbl_name from sqlite_master order by type, name");
        foreach (var table in new[] { "ValidPaths", "Refs", "DerivationOutputs" })
        {
            Add(table + " columns", $"select cid, name, type, \"notnull\", dflt_value, pk from pragma_table_info('{table}')");
            Add(table + " foreign keys", $"select \"table\", \"from\", \"to\", on_update, on_delete from pragma_foreign_key_list('{table}') order by \"from\"");
            Add(table + " indexes", $"select name, \"unique\", origin, partial from pragma_index_list('{table}') order by name");
        }
        foreach (var index in new[] { "IndexReferrer", "IndexReference", "IndexDerivationOutputs" })
            Add(index + " columns", $"select seqno, name from pragma_index_info('{index}')");
        return rows;
    }

    [Fact]
    public void TheSchemaNixsharpCreatesIsNixs()
    {
        using var fresh = new TempStoreRoot();
        using (new StoreDatabase(fresh.Layout)) { }
        var ours = SchemaDescription(fresh.Layout.DbFile);
        var nixs = SchemaDescription(_nix.Store.Layout.DbFile);
        Assert.True(ours.Count > 20);
        Assert.Equal(nixs.Select(r => string.Join('|', r)), ours.Select(r => string.Join('|', r)));
        Assert.Equal(File.ReadAllText(_nix.Store.Layout.SchemaFile), File.ReadAllText(fresh.Layout.SchemaFile));
    }
}

/// <summary>A store whose database nixsharp created, then used by real Nix.</summary>
public sealed class NixUsesNixsharpStoreTests : IDisposable
{
    private readonly TempStoreRoot _store = new();

    public void Dispose() => _store.Dispose();

    private static (string Hash, long Size) Nar(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sink = new HashingStream(hash);
        NarWriter.Dump(path, sink);
        return (ValidPathInfo.FormatNarHash(hash.GetHashAndReset()), sink.Length64);
    }

    private ProcessResult NixStore(params string[] args) => Processes.Run("nix-store", ["--store", _store.Root, .. args]);

    [Fact]
    public void NixQueriesVerifiesExtendsAndDeletesFromANixsharpStore()
    {
        var layout = _store.Layout;
        var computer = new StorePathComputer(layout.StoreDir);
        Directory.CreateDirectory(layout.RealStoreDir);

        // 1. A source tree, content-addressed like `nix-store --add`.
        var scratch = _store.Scratch("tree");
        var tree = Path.Combine(scratch, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "bin"));
        File.WriteAllText(Path.Combine(tree, "README"), "a tree registered by nixsharp\n");
        File.WriteAllText(Path.Combine(tree, "bin", "tool"), "#!/bin/sh\necho tool\n");
        File.SetUnixFileMode(Path.Combine(tree, "bin", "tool"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(tree, "bin", "alias"), "tool");
        var treePath = computer.ComputeSourcePath(tree, "tree", out var treeNarHash, out var treeNarSize);
        Directory.Move(tree, layout.ToReal(treePath));
        var treeInfo = new ValidPathInfo
        {
            Path = treePath, NarHash = ValidPathInfo.FormatNarHash(treeNarHash), NarSize = treeNarSize,
            ContentAddress = "fixed:r:sha256:" + NixBase32.Encode(treeNarHash),
        };

        // 2. A text file that refers to the tree, addressed like builtins.toFile.
        var userText = Encoding.UTF8.GetBytes($"uses {treePath}/bin/tool\n");
        var userPath = computer.ComputeTextPath("user.txt", userText, [treePath]);
        File.WriteAllBytes(layout.ToReal(userPath), userText);
        var (userHash, userSize) = Nar(layout.ToReal(userPath));
        var userInfo = new ValidPathInfo
        {
            Path = userPath, NarHash = userHash, NarSize = userSize,
            ContentAddress = "text:sha256:" + NixBase32.Encode(SHA256.HashData(userText)),
            References = ValidPathInfo.PathSet(treePath),
        };

        // 3. An input-addressed "build output" that refers to itself and the tree, with a deriver and a signature.
        var outPath = TestPaths.Random("built-1.0");
        var outDir = layout.ToReal(outPath);
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "paths"), $"{outPath}\n{treePath}\n");
        var (outHash, outSize) = Nar(outDir);
        var outInfo = new ValidPathInfo
        {
            Path = outPath, NarHash = outHash, NarSize = outSize,
            Deriver = TestPaths.Random("built-1.0.drv"), RegistrationTime = 1_650_000_000, Ultimate = true,
            Signatures = ValidPathInfo.PathSet("test-cache-1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(64))),
            References = ValidPathInfo.PathSet(outPath, treePath),
        };

        using (var db = new StoreDatabase(layout))
            db.RegisterValidPaths([outInfo, userInfo, treeInfo]);

        // Nix's queries see the same.
        Assert.Equal(new[] { treePath }, Processes.Lines(NixStore("--query", "--references", userPath).Stdout));
        Assert.Equal(new[] { outPath, userPath }.Order(StringComparer.Ordinal),
            Processes.Lines(NixStore("--query", "--referrers", treePath).Stdout).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { outPath, treePath }.Order(StringComparer.Ordinal),
            Processes.Lines(NixStore("--query", "--references", outPath).Stdout).Order(StringComparer.Ordinal));
        Assert.Equal(outInfo.Deriver, NixStore("--query", "--deriver", outPath).Stdout.Trim());
        foreach (var info in new[] { treeInfo, userInfo, outInfo })
        {
            Assert.Equal("sha256:" + NixBase32.Encode(Convert.FromHexString(info.NarHash[7..])), NixStore("--query", "--hash", info.Path).Stdout.Trim());
            Assert.Equal(info.NarSize.ToString(), NixStore("--query", "--size", info.Path).Stdout.Trim());
        }
        var json = Processes.Nix("nix", "--extra-experimental-features", "nix-command", "path-info", "--store", _store.Root, "--json", outPath, userPath, treePath);
        using (var doc = JsonDocument.Parse(json))
        {
            var byPath = doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!, StringComparer.Ordinal);
            Assert.Equal(treeInfo.ContentAddress, byPath[treePath].GetProperty("ca").GetString());
            Assert.Equal(userInfo.ContentAddress, byPath[userPath].GetProperty("ca").GetString());
            Assert.False(byPath[outPath].TryGetProperty("ca", out _));
            Assert.True(byPath[outPath].GetProperty("ultimate").GetBoolean());
            Assert.Equal(1_650_000_000, byPath[outPath].GetProperty("registrationTime").GetInt64());
            Assert.Equal(outInfo.Signatures.Single(), byPath[outPath].GetProperty("signatures")[0].GetString());
        }

        // Nix checks the contents against the registered hashes and finds nothing wrong.
        var verify = NixStore("--verify", "--check-contents");
        Assert.True(verify.ExitCode == 0, verify.Describe());
        Assert.DoesNotContain("error", verify.Stderr);
        Assert.DoesNotContain("modified", verify.Stderr);

        // Nix adds a path to the database nixsharp created; nixsharp reads it back.
        var extra = Path.Combine(_store.Scratch("extra"), "extra.txt");
        File.WriteAllText(extra, "added by Nix\n");
        var extraPath = Processes.Nix("nix-store", "--store", _store.Root, "--add", extra).Trim();
        using (var db = new StoreDatabase(layout))
        {
            var info = db.QueryPathInfo(extraPath);
            Assert.NotNull(info);
            Assert.Equal(Nar(extra).Hash, info.NarHash);
            Assert.StartsWith("fixed:r:sha256:", info.ContentAddress);
        }

        // Nix refuses to delete a path that is still referred to, and deletes one that is not.
        var refused = NixStore("--delete", treePath);
        Assert.NotEqual(0, refused.ExitCode);
        var deleted = NixStore("--delete", userPath);
        Assert.True(deleted.ExitCode == 0, deleted.Describe());
        using (var db = new StoreDatabase(layout))
        {
            Assert.False(db.IsValidPath(userPath));
            Assert.Equal(new[] { outPath }, db.QueryReferrers(treePath).ToList());
            Assert.True(db.IsValidPath(treePath));
        }

        // Control: the verification above is real, it notices a changed file.
        File.AppendAllText(Path.Combine(outDir, "paths"), "tampered\n");
        var tampered = NixStore("--verify", "--check-contents");
        Assert.NotEqual(0, tampered.ExitCode);
        Assert.Contains("modified", tampered.Stderr);
        Assert.Contains(outPath, tampered.Stderr);
    }
}
