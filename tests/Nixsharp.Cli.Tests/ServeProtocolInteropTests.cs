// `nixsharp store serve` against `nix-store --serve` on the same store, without ssh: the same
// requests on standard input must give the same bytes on standard output, and garbage must end the
// session with a clear error and leave the store as it was.
namespace Nixsharp.Cli.Tests;

using System.Text;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.Serve;
using Nixsharp.Formats.Wire;
using Xunit;

public sealed class ServeProtocolInteropTests : IDisposable
{
    private readonly TempDir _tmp = new("nixsharp-serve");

    public ServeProtocolInteropTests()
    {
        Assert.True(Tools.NixInstalled, "Nix 2.8 is not installed; scripts/test.sh installs it");
    }

    public void Dispose() => _tmp.Dispose();

    private static MemoryStream Hello()
    {
        var ms = new MemoryStream();
        ServeProtocol.WriteClientHello(ms);
        return ms;
    }

    private static RunResult Nix(string store, byte[] input, bool write = false) =>
        Tools.Run("nix-store", write ? ["--serve", "--write", "--store", store] : ["--serve", "--store", store], stdin: input);

    private static RunResult Ours(string store, byte[] input, bool write = false) =>
        Tools.Run(Tools.Nixsharp, write ? ["store", "serve", "--write", "--store", store] : ["store", "serve", "--store", store], stdin: input);

    [Fact]
    public void QueriesDumpsAndExportsAnswerWithNixsBytes()
    {
        var store = _tmp.Sub("store");
        var lib = FakeClosure.TextItem("lib", "a library");
        var app = FakeClosure.TextItem("app", "an app", lib.Path);
        FakeClosure.Import(store, [lib, app]);
        var absent = FakeClosure.NewPath("absent");

        var req = Hello();
        ServeProtocol.WriteQueryValidPaths(req, lockPaths: false, substitute: false, [app.Path, absent, lib.Path]);
        ServeProtocol.WriteCommand(req, ServeCommand.QueryPathInfos);
        WireStream.WriteStrings(req, [lib.Path, absent, app.Path]);
        ServeProtocol.WriteCommand(req, ServeCommand.QueryClosure);
        ServeProtocol.WriteBool(req, false);
        WireStream.WriteStrings(req, [app.Path]);
        ServeProtocol.WriteCommand(req, ServeCommand.DumpStorePath);
        WireStream.WriteString(req, app.Path);
        ServeProtocol.WriteCommand(req, ServeCommand.ExportPaths);
        WireStream.WriteU64(req, 0);
        WireStream.WriteStrings(req, [app.Path, lib.Path]);

        var theirs = Nix(store, req.ToArray());
        var ours = Ours(store, req.ToArray());
        Assert.True(theirs.Code == 0, theirs.Stderr);
        Assert.True(ours.Code == 0, ours.Stderr);
        Assert.Equal(Convert.ToHexString(theirs.Stdout), Convert.ToHexString(ours.Stdout));

        // And nixsharp's reader understands the answer (after the greeting and the valid paths).
        var answer = new MemoryStream(ours.Stdout);
        Assert.Equal(ServeProtocol.Version, ServeProtocol.ReadServerHello(answer));
        Assert.Equal(new[] { app.Path, lib.Path }.Order(StringComparer.Ordinal), ServeProtocol.ReadPaths(answer, "valid"));
        var infos = ServeProtocol.ReadPathInfos(answer);
        // In the order of a set of paths, as Nix answers.
        Assert.Equal(new[] { lib.Path, app.Path }.Order(StringComparer.Ordinal), infos.Select(i => i.Path));
        Assert.Equal([lib.Path], infos.Single(i => i.Path == app.Path).References);
        Assert.All(infos, i => Assert.StartsWith("sha256:", i.NarHash));
    }

    [Fact]
    public void ImportPathsAndAddToStoreNarRegisterWhatNixRegisters()
    {
        var source = _tmp.Sub("source");
        var lib = FakeClosure.TextItem("lib", "a library");
        var app = FakeClosure.TextItem("app", "an app", lib.Path);
        FakeClosure.Import(source, [lib, app]);

        // ImportPaths carries lib (an export stream); AddToStoreNar carries app.
        var req = Hello();
        ServeProtocol.WriteCommand(req, ServeCommand.ImportPaths);
        ExportFormat.WritePath(req, lib.WriteNar, new ExportTrailer(lib.Path, [], null));
        ExportFormat.WriteEnd(req);
        var nar = new MemoryStream();
        app.WriteNar(nar);
        var narHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(nar.ToArray()));
        ServeProtocol.WriteAddToStoreNar(req, new AddToStoreNarRequest(app.Path, null, narHash, [lib.Path], 0, (ulong)nar.Length, false, [], null));
        req.Write(nar.ToArray());

        var nixStore = new TestStore(_tmp.Sub("nix"));
        var ourStore = new TestStore(_tmp.Sub("ours"));
        var theirs = Nix(nixStore.Root, req.ToArray(), write: true);
        var ours = Ours(ourStore.Root, req.ToArray(), write: true);
        Assert.True(theirs.Code == 0, theirs.Stderr);
        Assert.True(ours.Code == 0, ours.Stderr);
        Assert.Equal(Convert.ToHexString(theirs.Stdout), Convert.ToHexString(ours.Stdout));
        Assert.Equal(nixStore.DbText(), ourStore.DbText());
        ourStore.AssertVerifies("after serving ImportPaths and AddToStoreNar");

        // Without --write, both refuse and register nothing.
        var readOnly = new TestStore(_tmp.Sub("ro"));
        var refused = Ours(readOnly.Root, req.ToArray());
        Assert.Equal(1, refused.Code);
        Assert.Contains("error: importing paths is not allowed (the server runs without --write)", refused.Stderr);
        Assert.Empty(readOnly.ValidPaths());
    }

    [Fact]
    public void GarbageEndsTheSessionWithAClearErrorAndNothingRegistered()
    {
        var store = new TestStore(_tmp.Sub("store"));
        var app = FakeClosure.TextItem("app", "an app");

        // Not a client greeting at all.
        var http = Ours(store.Root, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Equal(1, http.Code);
        Assert.StartsWith("error: serve protocol: protocol mismatch: the greeting is 0x", http.Stderr);

        // An unknown command after the greeting.
        var unknown = Hello();
        WireStream.WriteU64(unknown, 42);
        var u = Ours(store.Root, unknown.ToArray());
        Assert.Equal(1, u.Code);
        Assert.Contains("error: serve protocol: unknown serve command 42", u.Stderr);

        // A list that claims 2^40 entries.
        var huge = Hello();
        ServeProtocol.WriteCommand(huge, ServeCommand.QueryValidPaths);
        WireStream.WriteU64(huge, 0);
        WireStream.WriteU64(huge, 0);
        WireStream.WriteU64(huge, 1UL << 40);
        var h = Ours(store.Root, huge.ToArray());
        Assert.Equal(1, h.Code);
        Assert.Contains("more than the 1048576 allowed", h.Stderr);

        // A NAR whose hash is not the claimed one, then one cut short: neither is registered.
        var nar = new MemoryStream();
        app.WriteNar(nar);
        foreach (var (claimedHash, bytes) in new[] { (new string('0', 64), nar.ToArray()), (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(nar.ToArray())), nar.ToArray()[..^20]) })
        {
            var req = Hello();
            ServeProtocol.WriteAddToStoreNar(req, new AddToStoreNarRequest(app.Path, null, claimedHash, [], 0, (ulong)nar.Length, false, [], null));
            req.Write(bytes);
            var r = Ours(store.Root, req.ToArray(), write: true);
            Assert.Equal(1, r.Code);
            Assert.Matches("^error: (hash mismatch importing path|serve protocol: unexpected end of input|.*truncated|.*end-of-file|.*unexpected end)", r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.Empty(store.ValidPaths());
            Assert.Empty(store.StrayEntries());
        }
    }
}
