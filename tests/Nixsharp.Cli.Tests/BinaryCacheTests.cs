// file:// binary caches and signatures, end to end against Nix 2.8: caches nixsharp writes at
// Nix's xz preset are byte-identical to Nix's, and all are accepted by `nix copy --from`; caches Nix writes (every compression)
// are read by nixsharp; keys and `store sign` agree with `nix key` and `nix store sign`; and a
// cache that lies in any of many ways is refused with a clear error, registering nothing.
namespace Nixsharp.Cli.Tests;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Xunit;

/// <summary>A source store holding a small closure: `app` (input-addressed) refers to `lib`
/// (input-addressed, refers to itself) and to `src` (content-addressed, added like nix-store --add);
/// and two keys made by `nixsharp key`: trusted and untrusted.</summary>
public sealed class CacheSourceStore : IDisposable
{
    public TempDir Dir { get; } = new("nixsharp-cache");
    public string Source => Dir.Sub("source");
    public string Lib { get; } = "/nix/store/" + HashPart("lib") + "-lib";
    public string App { get; } = "/nix/store/" + HashPart("app") + "-app";
    public string Src { get; }
    public string SecretKey => Dir.Sub("trusted.sec");
    public string PublicKey { get; }
    public string UntrustedSecretKey => Dir.Sub("untrusted.sec");
    public string UntrustedPublicKey { get; }
    public byte[] ExportStream { get; }

    public CacheSourceStore()
    {
        var srcTree = Dir.Sub("src-tree");
        Directory.CreateDirectory(srcTree);
        File.WriteAllText(Path.Combine(srcTree, "main.c"), "int main() { return 0; }\n");
        var add = Tools.Ns("store", "add", "--store", Source, srcTree);
        Assert.True(add.Code == 0, add.Stderr);
        Src = add.Out.Trim();

        var libTree = Dir.Sub("lib-tree");
        Directory.CreateDirectory(Path.Combine(libTree, "lib"));
        File.WriteAllText(Path.Combine(libTree, "lib", "libfoo.so"), $"library at {Lib}\n" + new string('z', 200_000));
        var appFile = Dir.Sub("app-file");
        File.WriteAllText(appFile, $"#!/bin/sh\nexec {Lib}/lib/libfoo.so {Src}\n");
        var export = new MemoryStream();
        ExportFormat.WritePath(export, o => NarWriter.Dump(libTree, o), new ExportTrailer(Lib, [Lib], null));
        ExportFormat.WritePath(export, o => NarWriter.Dump(appFile, o),
            new ExportTrailer(App, [Lib, Src], "/nix/store/" + HashPart("app.drv") + "-app.drv"));
        ExportFormat.WriteEnd(export);
        ExportStream = export.ToArray();
        var import = Tools.Run(Tools.Nixsharp, ["store", "import", "--store", Source], stdin: ExportStream);
        Assert.True(import.Code == 0, import.Stderr);

        PublicKey = MakeKey("trusted-1", SecretKey);
        UntrustedPublicKey = MakeKey("untrusted-1", UntrustedSecretKey);
    }

    private static string MakeKey(string name, string file)
    {
        var secret = Tools.Ns("key", "generate-secret", "--key-name", name);
        Assert.True(secret.Code == 0, secret.Stderr);
        File.WriteAllBytes(file, secret.Stdout);
        var pub = Tools.Run(Tools.Nixsharp, ["key", "convert-secret-to-public"], stdin: secret.Stdout);
        Assert.True(pub.Code == 0, pub.Stderr);
        return pub.Out;
    }

    public static string HashPart(string seed) => NixBase32.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(seed))[..20]);

    public void Dispose() => Dir.Dispose();
}

public sealed class BinaryCacheTests : IClassFixture<CacheSourceStore>
{
    private readonly CacheSourceStore _fx;
    public BinaryCacheTests(CacheSourceStore fixture) { _fx = fixture; }

    private static readonly string[] NixCmd = ["--extra-experimental-features", "nix-command"];

    private static RunResult Ok(RunResult r)
    {
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
        return r;
    }

    private static RunResult NixNew(params string[] args) => Tools.Nix("nix", [.. NixCmd, .. args]);

    /// <summary>`nix copy --from` into a store, without touching the network (no substituters).</summary>
    private RunResult NixCopyFrom(string cache, string store, params string[] extra) =>
        NixNew(["copy", "--option", "substituters", "", "--option", "trusted-public-keys", _fx.PublicKey,
            "--from", "file://" + cache, "--store", store, .. extra, _fx.App]);

    private RunResult NsCopyFrom(string cache, string store, params string[] extra) =>
        Tools.Ns(["copy", "--option", "trusted-public-keys", _fx.PublicKey, "--from", "file://" + cache, "--store", store, .. extra, _fx.App]);

    private string[] Closure => [_fx.App, _fx.Lib, _fx.Src];

    /// <summary>Every file under a directory, by relative path, with its bytes (directories as "/").</summary>
    private static SortedDictionary<string, string> Tree(string dir)
    {
        var res = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories))
            res[Path.GetRelativePath(dir, e)] = Directory.Exists(e) ? "/" : Convert.ToBase64String(File.ReadAllBytes(e));
        return res;
    }

    [Fact]
    public void CacheWrittenByNixsharpAtXzLevel6EqualsNixsByteForByte()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        // Nix always writes xz at preset 6; nixsharp does when asked (its default dictionary is smaller).
        Ok(Tools.Ns("copy", "--to", $"file://{t.Sub("ours")}?compression=xz&compression-level=6&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App));
        Ok(NixNew("copy", "--to", $"file://{t.Sub("theirs")}?compression=xz&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App));
        var ours = Tree(t.Sub("ours"));
        Assert.Equal(Tree(t.Sub("theirs")), ours);
        Assert.Equal(3, ours.Keys.Count(k => k.EndsWith(".narinfo", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("xz")]
    [InlineData("zstd")]
    [InlineData("none")]
    public void NixCopiesFromACacheNixsharpWroteAndSigned(string compression)
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var cache = t.Sub("cache");
        var copied = Ok(Tools.Ns("copy", "--json", "--to", $"file://{cache}?compression={compression}&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App));
        Assert.Equal($"[\"{_fx.Src}\",\"{_fx.Lib}\",\"{_fx.App}\"]\n".Length, copied.Out.Length);
        // Nothing is written twice.
        Assert.Equal("[]\n", Ok(Tools.Ns("copy", "--json", "--to", $"file://{cache}?compression={compression}", "--store", _fx.Source, _fx.App)).Out);

        Ok(NixCopyFrom(cache, t.Sub("dst")));
        Ok(Tools.Nix("nix-store", "--store", t.Sub("dst"), "--verify", "--check-contents"));
        var info = Ok(NixNew("path-info", "--store", t.Sub("dst"), "--json", "-r", _fx.App)).Out;
        foreach (var p in Closure) Assert.Contains($"\"path\":\"{p}\"", info);
        Assert.Contains("\"signatures\":[\"trusted-1:", info);
        Assert.Contains($"\"references\":[\"{string.Join("\",\"", new[] { _fx.Lib, _fx.Src }.Order(StringComparer.Ordinal))}\"]", info);

        // Nix refuses it without our key, as it refuses any unsigned input-addressed path.
        var refused = NixNew("copy", "--option", "substituters", "", "--from", "file://" + cache, "--store", t.Sub("dst2"), _fx.App);
        Assert.NotEqual(0, refused.Code);
        Assert.Contains($"cannot add path '{_fx.Lib}' because it lacks a valid signature", refused.Stderr);
    }

    [Theory]
    [InlineData("xz")]
    [InlineData("zstd")]
    [InlineData("bzip2")]
    [InlineData("none")]
    public void NixsharpCopiesFromACacheNixWroteAndSigned(string compression)
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var cache = t.Sub("cache");
        Ok(NixNew("copy", "--to", $"file://{cache}?compression={compression}&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App));
        var copied = Ok(NsCopyFrom(cache, t.Sub("dst"), "--json"));
        Assert.Equal($"[\"{_fx.Src}\",\"{_fx.Lib}\",\"{_fx.App}\"]", copied.Out.Trim());
        Assert.Contains($"copying path '{_fx.App}' from 'file://{cache}'...", copied.Stderr);
        Ok(Tools.Nix("nix-store", "--store", t.Sub("dst"), "--verify", "--check-contents"));
        var dst = new TestStore(t.Sub("dst"));
        Assert.Equal(Closure.Order(StringComparer.Ordinal), dst.ValidPaths());
        foreach (var q in new[] { "--hash", "--size", "--references", "--deriver" })
            Assert.Equal(Tools.Nix("nix-store", "--store", _fx.Source, "-q", q, _fx.App).Out, Tools.Nix("nix-store", "--store", t.Sub("dst"), "-q", q, _fx.App).Out);
        // A second copy has nothing to do.
        Assert.Equal("[]", Ok(NsCopyFrom(cache, t.Sub("dst"), "--json")).Out.Trim());
    }

    [Fact]
    public void StoreSignAddsNixsSignatures()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        foreach (var s in new[] { "ours", "theirs" })
        {
            Ok(Tools.Nix("nix-store", "--store", t.Sub(s), "--add", Path.Combine(_fx.Dir.Path, "src-tree")));
            Ok(Tools.Run("nix-store", ["--store", t.Sub(s), "--import"], stdin: _fx.ExportStream));
        }
        var ours = Ok(Tools.Ns("store", "sign", "--store", t.Sub("ours"), "-k", _fx.SecretKey, "-r", _fx.App));
        var theirs = Ok(NixNew("store", "sign", "--store", t.Sub("theirs"), "-k", _fx.SecretKey, "-r", _fx.App));
        Assert.Equal("added 3 signatures\n", ours.Stderr);
        Assert.Contains("added 3 signatures", theirs.Stderr);
        Assert.Equal(NixNew("path-info", "--store", t.Sub("theirs"), "--sigs", "-r", _fx.App).Out,
                     NixNew("path-info", "--store", t.Sub("ours"), "--sigs", "-r", _fx.App).Out);
        // Signing again adds nothing; --json tells which signature each path has.
        var again = Ok(Tools.Ns("store", "sign", "--store", t.Sub("ours"), "-k", _fx.SecretKey, "--json", _fx.Lib));
        Assert.Equal("added 0 signatures\n", again.Stderr);
        Assert.StartsWith($"[{{\"path\":\"{_fx.Lib}\",\"signature\":\"trusted-1:", again.Out, StringComparison.Ordinal);
        var noKey = Tools.Ns("store", "sign", "--store", t.Sub("ours"), _fx.App);
        Assert.Equal(1, noKey.Code);
        Assert.Contains("you must specify a secret key file using '-k'", noKey.Stderr);
    }

    [Fact]
    public void KeysAgreeWithNixKey()
    {
        if (!Tools.NixInstalled) return;
        var theirs = Ok(NixNew("key", "generate-secret", "--key-name", "nix-made-1")).Stdout;
        Assert.Equal(NixConvert(theirs), Ok(Tools.Run(Tools.Nixsharp, ["key", "convert-secret-to-public"], stdin: theirs)).Out);
        Assert.Equal(_fx.PublicKey, NixConvert(File.ReadAllBytes(_fx.SecretKey)));
        Assert.StartsWith("trusted-1:", _fx.PublicKey, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", _fx.PublicKey);

        var missing = Tools.Ns("key", "generate-secret");
        Assert.Equal(1, missing.Code);
        Assert.Contains("required argument '--key-name' is missing", missing.Stderr);
        var corrupt = Tools.Run(Tools.Nixsharp, ["key", "convert-secret-to-public"], stdin: "garbage"u8.ToArray());
        Assert.Equal("error: secret key is corrupt\n", corrupt.Stderr);
        var invalid = Tools.Run(Tools.Nixsharp, ["key", "convert-secret-to-public"], stdin: "name:AAAA"u8.ToArray());
        Assert.Equal("error: secret key is not valid\n", invalid.Stderr);

        string NixConvert(byte[] secret) =>
            Ok(Tools.Run("nix", [.. NixCmd, "key", "convert-secret-to-public"], stdin: secret)).Out;
    }

    [Fact]
    public void EveryCommandHasHelp()
    {
        foreach (var cmd in new[] { new[] { "copy" }, ["key"], ["key", "generate-secret"], ["key", "convert-secret-to-public"], ["store", "sign"] })
        {
            var r = Ok(Tools.Ns([.. cmd, "--help"]));
            Assert.Contains("Usage:", r.Out);
        }
    }

    [Fact]
    public void BadUrlsAndSettingsAreClearErrors()
    {
        using var t = new TempDir();
        var cases = new (string[] Args, string Error)[]
        {
            (["copy", "--store", _fx.Source, _fx.App], "give exactly one of '--to URL' and '--from URL'"),
            (["copy", "--to", "s3://bucket", "--store", _fx.Source, _fx.App], "store 's3://bucket' is not supported by 'copy' yet"),
            (["copy", "--to", $"file://{t.Sub("c")}?compression=lz4", "--store", _fx.Source, _fx.App], "compression method 'lz4'"),
            (["copy", "--to", $"file://{t.Sub("c")}?level=9", "--store", _fx.Source, _fx.App], "binary cache setting 'level'"),
            (["copy", "--to", $"file://{t.Sub("c")}?secret-key={t.Sub("nokey")}", "--store", _fx.Source, _fx.App], $"cannot read secret key file '{t.Sub("nokey")}'"),
            (["copy", "--from", $"file://{t.Sub("nothing")}", "--store", t.Sub("dst"), _fx.App], $"binary cache 'file://{t.Sub("nothing")}' does not exist"),
            (["copy", "--from", $"file://{t.Path}", "--store", t.Sub("dst"), _fx.App], "is not a binary cache: it has no nix-cache-info"),
            (["copy", "--option", "trusted-public-keys", "k:AAAA", "--from", $"file://{t.Path}", "--store", t.Sub("dst"), _fx.App], "setting 'trusted-public-keys': public key is not valid"),
        };
        foreach (var (args, error) in cases)
        {
            var r = Tools.Ns(args);
            Assert.True(r.Code == 1, $"{string.Join(' ', args)}: exit {r.Code}");
            Assert.Contains(error, r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr);
        }
        Assert.False(Directory.Exists(t.Sub("c") + "/nar") && Directory.EnumerateFiles(t.Sub("c") + "/nar").Any());
    }

    // ---- Hostile caches ---------------------------------------------------------------------------

    /// <summary>A cache to spoil: a good signed copy of the fixture's closure, written by nixsharp.</summary>
    private sealed class Spoilt(string dir, CacheSourceStore fx)
    {
        public string Dir => dir;
        public string NarInfo(string storePath) => Path.Combine(dir, storePath.Substring(11, 32) + ".narinfo");
        public string Field(string storePath, string key) =>
            File.ReadAllLines(NarInfo(storePath)).First(l => l.StartsWith(key + ": ", StringComparison.Ordinal))[(key.Length + 2)..];
        public string NarFile(string storePath) => Path.Combine(dir, Field(storePath, "URL"));
        public void Edit(string storePath, Func<string, string> edit) => File.WriteAllText(NarInfo(storePath), edit(File.ReadAllText(NarInfo(storePath))));
        public void SetField(string storePath, string key, string value) =>
            Edit(storePath, s => string.Concat(s.Split('\n').Where(l => l.Length > 0).Select(l => (l.StartsWith(key + ": ", StringComparison.Ordinal) ? key + ": " + value : l) + "\n")));
        public void DropSigs(string storePath) => Edit(storePath, s => string.Concat(s.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("Sig: ", StringComparison.Ordinal)).Select(l => l + "\n")));
        public CacheSourceStore Fx => fx;
    }

    /// <summary>Each case spoils the cache, may add flags, and names a fragment of the error.</summary>
    public static TheoryData<string> HostileCases => new(HostileCaseTable.Keys);

    private static readonly Dictionary<string, (Action<Spoilt> Spoil, string[] Flags, Func<CacheSourceStore, string> Error)> HostileCaseTable = new()
    {
        ["unsigned"] = (c => { c.DropSigs(c.Fx.App); c.DropSigs(c.Fx.Lib); }, [],
            fx => $"cannot add path '{fx.App}' because it lacks a valid signature"),
        ["signed by an untrusted key"] = (c => ResignWith(c, c.Fx.UntrustedSecretKey), [],
            fx => $"because it lacks a valid signature"),
        ["signature bytes forged under the trusted name"] = (c =>
        {
            var sig = c.Field(c.Fx.App, "Sig");
            var bytes = Convert.FromBase64String(sig[(sig.IndexOf(':') + 1)..]);
            bytes[10] ^= 1;
            c.SetField(c.Fx.App, "Sig", sig[..(sig.IndexOf(':') + 1)] + Convert.ToBase64String(bytes));
        }, [], fx => $"cannot add path '{fx.App}' because it lacks a valid signature"),
        ["garbage signature"] = (c => c.SetField(c.Fx.App, "Sig", "trusted-1:bm90IGEgc2lnbmF0dXJl"), [],
            fx => $"cannot add path '{fx.App}' because it lacks a valid signature"),
        ["signed References edited"] = (c => c.SetField(c.Fx.App, "References", c.Fx.Lib[11..]), [],
            fx => $"cannot add path '{fx.App}' because it lacks a valid signature"),
        ["signed NarSize edited"] = (c => c.SetField(c.Fx.Lib, "NarSize", (long.Parse(c.Field(c.Fx.Lib, "NarSize")) + 8).ToString()), [],
            fx => $"cannot add path '{fx.Lib}' because it lacks a valid signature"),
        ["signed StorePath moved to another narinfo"] = (c =>
            File.Copy(c.NarInfo(c.Fx.Lib), c.NarInfo(c.Fx.App), overwrite: true), [],
            fx => $"is for path '{fx.Lib}', not '{fx.App}'"),
        ["content-addressed path with a false claim, unsigned"] = (c =>
        {
            c.SetField(c.Fx.Src, "CA", "fixed:r:sha256:" + new string('0', 52));
            c.DropSigs(c.Fx.Src);
        }, [], fx => $"cannot add path '{fx.Src}' because it lacks a valid signature"),
        ["content-addressed path with a false claim, signed"] = (c =>
            // The content address is not signed: the signature holds, the claim is still refused.
            c.SetField(c.Fx.Src, "CA", "fixed:r:sha256:" + new string('0', 52)), [],
            fx => $"cannot add path '{fx.Src}' because it claims to be content-addressed ('fixed:r:sha256:{new string('0', 52)}') but is not"),
        ["NAR replaced (file hash and size fixed up)"] = (c =>
        {
            // The unsigned file fields are made to match: only the signed NarHash catches it.
            var other = File.ReadAllBytes(c.NarFile(c.Fx.Src));
            var otherInfo = File.ReadAllText(c.NarInfo(c.Fx.Src));
            File.WriteAllBytes(c.NarFile(c.Fx.App), other);
            c.SetField(c.Fx.App, "FileHash", Line(otherInfo, "FileHash"));
            c.SetField(c.Fx.App, "FileSize", Line(otherInfo, "FileSize"));
        }, [], fx => $"hash mismatch importing path '{fx.App}'"),
        ["NARs swapped between two narinfos"] = (c =>
        {
            var app = c.Field(c.Fx.App, "URL");
            var lib = c.Field(c.Fx.Lib, "URL");
            File.Move(c.NarFile(c.Fx.App), c.Dir + "/swap");
            File.Move(c.NarFile(c.Fx.Lib), c.Dir + "/" + app);
            File.Move(c.Dir + "/swap", c.Dir + "/" + lib);
        }, [], fx => $"hash mismatch importing path '{fx.Lib}'"),
        ["URLs swapped between two narinfos"] = (c =>
        {
            var app = c.Field(c.Fx.App, "URL");
            c.SetField(c.Fx.App, "URL", c.Field(c.Fx.Lib, "URL"));
            c.SetField(c.Fx.Lib, "URL", app);
        }, [], fx => "hash mismatch"),
        ["NarHash mismatch (checks off)"] = (c =>
            c.SetField(c.Fx.App, "NarHash", "sha256:" + NixBase32.Encode(new byte[32])), ["--no-check-sigs"],
            fx => $"hash mismatch importing path '{fx.App}';\n  specified: sha256:{new string('0', 52)}"),
        ["NarSize mismatch (checks off)"] = (c =>
            c.SetField(c.Fx.App, "NarSize", "1000000"), ["--no-check-sigs"],
            fx => $"size mismatch importing path '{fx.App}'"),
        ["truncated xz NAR of the last path"] = (c =>
        {
            var f = c.NarFile(c.Fx.App);
            var bytes = File.ReadAllBytes(f);
            File.WriteAllBytes(f, bytes[..(bytes.Length / 2)]);
        }, [], fx => $"cannot decompress"),
        ["truncated xz NAR of the first path"] = (c =>
        {
            var f = c.NarFile(c.Fx.Lib);
            var bytes = File.ReadAllBytes(f);
            File.WriteAllBytes(f, bytes[..(bytes.Length - 30)]);
        }, [], fx => $"'{fx.Lib}'"),
        ["NAR file missing"] = (c => File.Delete(c.NarFile(c.Fx.App)), [],
            fx => $"cannot read the NAR of '{fx.App}'"),
        ["corrupt xz data"] = (c =>
        {
            var f = c.NarFile(c.Fx.App);
            var bytes = File.ReadAllBytes(f);
            bytes[bytes.Length / 2] ^= 0xff;
            File.WriteAllBytes(f, bytes);
        }, [], fx => $"'{fx.App}'"), // found by xz's check or, first, by the NAR parser
        ["data after the NAR"] = (c =>
        {
            File.AppendAllText(c.NarFile(c.Fx.App), "tail");
        }, [], fx => "cannot decompress"),
        ["wrong compression named"] = (c => c.SetField(c.Fx.App, "Compression", "bzip2"), [],
            fx => "not in the bzip2 format"),
        ["unknown compression"] = (c => c.SetField(c.Fx.App, "Compression", "lz4"), [],
            fx => "compression method 'lz4' is not supported"),
        ["NAR URL outside the cache"] = (c => c.SetField(c.Fx.App, "URL", "../../../../etc/passwd"), [],
            fx => "which is not a file inside binary cache"),
        ["absolute NAR URL"] = (c => c.SetField(c.Fx.App, "URL", "/etc/passwd"), [],
            fx => "which is not a file inside binary cache"),
        ["malformed narinfo line"] = (c => c.Edit(c.Fx.App, s => s.Replace("NarSize: ", "NarSize ")), [],
            fx => $"NAR info file 'file://{{CACHE}}/{fx.App[11..43]}.narinfo' is corrupt: line 7: expected 'Key: value', got 'NarSize "),
        ["narinfo cut short"] = (c => c.Edit(c.Fx.App, s => s[..(s.Length / 2)]), [],
            fx => "its last line has no newline (truncated?)"),
        ["duplicate narinfo field"] = (c => c.Edit(c.Fx.App, s => s + "NarHash: " + Line(s, "NarHash") + "\n"), [],
            fx => "'NarHash' appears more than once"),
        ["full path in References"] = (c => c.Edit(c.Fx.App, s => s.Replace("References: ", "References: /nix/store/")), [],
            fx => "is not a store path's base name"),
        ["narinfo of a reference missing"] = (c => File.Delete(c.NarInfo(c.Fx.Src)), [],
            fx => $"path '{fx.Src}' is not in binary cache"),
        ["cache for another store directory"] = (c => File.WriteAllText(c.Dir + "/nix-cache-info", "StoreDir: /gnu/store\n"), [],
            fx => "is for Nix stores with prefix '/gnu/store', not '/nix/store'"),
    };

    private static string Line(string narinfo, string key) =>
        narinfo.Split('\n').First(l => l.StartsWith(key + ": ", StringComparison.Ordinal))[(key.Length + 2)..];

    /// <summary>Replaces every signature with one by another key (a well-formed, valid signature
    /// by a key the client does not trust).</summary>
    private static void ResignWith(Spoilt c, string keyFile)
    {
        // Sign a copy of the source store's paths with the key and write a fresh cache from it.
        using var tmp = new TempDir();
        Ok(Tools.Ns("copy", "--to", $"file://{tmp.Path}?secret-key={keyFile}", "--store", c.Fx.Source, c.Fx.App));
        foreach (var f in Directory.GetFiles(tmp.Path, "*.narinfo"))
        {
            var sigs = File.ReadAllLines(f).Where(l => l.StartsWith("Sig: ", StringComparison.Ordinal)).ToList();
            var target = Path.Combine(c.Dir, Path.GetFileName(f));
            File.WriteAllLines(target, File.ReadAllLines(target).Where(l => !l.StartsWith("Sig: ", StringComparison.Ordinal)).Concat(sigs));
        }
    }

    [Theory]
    [MemberData(nameof(HostileCases))]
    public void HostileCacheIsRefusedAndNothingIsRegistered(string name)
    {
        var (spoil, flags, error) = HostileCaseTable[name];
        using var t = new TempDir();
        var cache = t.Sub("cache");
        Ok(Tools.Ns("copy", "--to", $"file://{cache}?compression=xz&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App));
        var dst = new TestStore(t.Sub("dst"));
        // The destination already has one unrelated path: it must be all that is there afterwards.
        Ok(Tools.Ns("store", "add", "--store", dst.Root, Path.Combine(_fx.Dir.Path, "app-file")));
        var before = dst.Snapshot();

        spoil(new Spoilt(cache, _fx));
        var r = NsCopyFrom(cache, dst.Root, flags);
        Assert.True(r.Code == 1, $"{name}: exit {r.Code}\n{r.Stderr}");
        var expected = error(_fx).Replace("{CACHE}", cache, StringComparison.Ordinal);
        Assert.True(r.Stderr.Contains(expected, StringComparison.Ordinal), $"{name}: expected '{expected}' in:\n{r.Stderr}");
        Assert.StartsWith("error: ", r.Stderr.Split('\n').First(l => !l.StartsWith("copying", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal(before, dst.Snapshot());
        Assert.Empty(dst.StrayEntries());
    }

    [Theory]
    [InlineData("xz", 1)]
    [InlineData("xz", 9)]
    [InlineData("zstd", 19)]
    public void ACompressionLevelGivesACacheNixReads(string method, int level)
    {
        using var t = new TempDir();
        var cache = t.Sub("cache");
        Ok(Tools.Ns("copy", "--to", $"file://{cache}?compression={method}&compression-level={level}&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App));
        Ok(NixCopyFrom(cache, t.Sub("nix")));
        Assert.True(Tools.Nix("nix-store", "--store", t.Sub("nix"), "--verify", "--check-contents").Code == 0);
        Assert.Equal(3, new TestStore(t.Sub("nix")).ValidPaths().Count);
    }

    [Theory]
    [InlineData("xz", "10", "xz takes compression levels 0 to 9")]
    [InlineData("zstd", "0", "zstd takes compression levels 1 to 19")]
    [InlineData("xz", "high", "must be a number, not 'high'")]
    public void ACompressionLevelOutOfRangeIsRefusedBeforeAnythingIsWritten(string method, string level, string why)
    {
        using var t = new TempDir();
        var r = Tools.Ns("copy", "--to", $"file://{t.Sub("cache")}?compression={method}&compression-level={level}", "--store", _fx.Source, _fx.App);
        Assert.Equal(1, r.Code);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains(why, r.Stderr);
        Assert.False(Directory.Exists(t.Sub("cache")));
    }

    [Fact]
    public void NoCheckSigsAcceptsAnUnsignedCacheButStillChecksContents()
    {
        using var t = new TempDir();
        var cache = t.Sub("cache");
        Ok(Tools.Ns("copy", "--to", $"file://{cache}?compression=zstd", "--store", _fx.Source, _fx.App));
        var refused = NsCopyFrom(cache, t.Sub("a"));
        Assert.Contains("lacks a valid signature", refused.Stderr);
        Ok(NsCopyFrom(cache, t.Sub("a"), "--no-check-sigs"));
        Ok(Tools.Ns(["copy", "--option", "require-sigs", "false", "--from", "file://" + cache, "--store", t.Sub("b"), _fx.App]));
        Assert.Equal(3, new TestStore(t.Sub("a")).ValidPaths().Count);
        Assert.Equal(3, new TestStore(t.Sub("b")).ValidPaths().Count);
        // A content-addressed path needs no signature even when checking (as in Nix).
        Ok(Tools.Ns(["copy", "--from", "file://" + cache, "--store", t.Sub("c"), _fx.Src]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExtraTrustedKeysAddToTheListUntilAPlainSettingReplacesItAsInNix(bool extraLast)
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var cache = t.Sub("cache");
        Ok(Tools.Ns("copy", "--to", $"file://{cache}?compression=zstd&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App));
        string[] plain = ["--option", "trusted-public-keys", _fx.UntrustedPublicKey];
        string[] extra = ["--option", "extra-trusted-public-keys", _fx.PublicKey];
        string[] settings = extraLast ? [.. plain, .. extra] : [.. extra, .. plain];
        var theirs = NixNew(["copy", "--option", "substituters", "", .. settings, "--from", "file://" + cache, "--store", t.Sub("nix"), _fx.App]);
        var ours = Tools.Ns(["copy", .. settings, "--from", "file://" + cache, "--store", t.Sub("ours"), _fx.App]);
        Assert.True(theirs.Code == 0 == extraLast, theirs.Stderr);
        Assert.True(ours.Code == 0 == extraLast, ours.Stderr);
        if (!extraLast) Assert.Contains("because it lacks a valid signature", ours.Stderr);
    }
}
