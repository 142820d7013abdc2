// Copying closures over ssh through the loopback sshd, with real Nix 2.8 on the other end in both
// roles: nixsharp's client against `nix-store --serve`, and real `nix copy` / nix-copy-closure
// against `nixsharp store serve`. Also: only the missing paths are sent (a 1 000-path closure of
// which 990 are there), and hostile or broken servers and connections leave no half-valid path.
namespace Nixsharp.Cli.Tests;

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Xunit;

/// <summary>One loopback sshd for the class, and a directory with remote programs: `nix-store` is
/// a link to the nixsharp under test (which then serves, as Nix runs "nix-store --serve").</summary>
public sealed class SshCopyFixture : IDisposable
{
    public LoopbackSshd Sshd { get; }
    public TempDir Bin { get; } = new("nixsharp-ssh-bin");
    public string NixsharpAsNixStore => Bin.Sub("nix-store");

    public SshCopyFixture()
    {
        Sshd = new LoopbackSshd();
        File.CreateSymbolicLink(NixsharpAsNixStore, Tools.Nixsharp);
    }

    /// <summary>A remote program: a shell script (given its body) in the bin directory.</summary>
    public string Script(string name, string body)
    {
        var path = Bin.Sub(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose()
    {
        Sshd.Dispose();
        Bin.Dispose();
    }
}

public sealed class SshCopyTests : IClassFixture<SshCopyFixture>, IDisposable
{
    private readonly SshCopyFixture _f;
    private readonly TempDir _tmp = new("nixsharp-sshcopy");

    public SshCopyTests(SshCopyFixture f)
    {
        Assert.True(LoopbackSshd.Available, "openssh-server is not installed; scripts/test.sh installs it");
        Assert.True(Tools.NixInstalled, "Nix 2.8 is not installed; scripts/test.sh installs it");
        _f = f;
    }

    public void Dispose() => _tmp.Dispose();

    private const string Host = LoopbackSshd.HostAlias;
    private IDictionary<string, string> Env => _f.Sshd.Environment;

    /// <summary>lib (text), big (a tree with a 1.5 MB file, an executable and a symlink, referring
    /// to lib) and app (referring to both): app's closure is the three.</summary>
    private (string Lib, string Big, string App) MakeClosure(string storeRoot)
    {
        var dir = _tmp.Sub("big-src-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var lib = FakeClosure.TextItem("lib", "a library");
        File.WriteAllBytes(Path.Combine(dir, "blob"), RandomNumberGenerator.GetBytes(1536 * 1024));
        File.WriteAllText(Path.Combine(dir, "run"), "#!/bin/sh\nexec " + lib.Path + "\n");
        File.SetUnixFileMode(Path.Combine(dir, "run"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(dir, "lib"), lib.Path);
        var big = FakeClosure.TreeItem("big", dir, lib.Path);
        var app = FakeClosure.TextItem("app", "the application", lib.Path, big.Path);
        FakeClosure.Import(storeRoot, [lib, big, app]);
        return (lib.Path, big.Path, app.Path);
    }

    private static string Requisites(string storeRoot, string path)
    {
        var r = Tools.Run("nix-store", ["--store", storeRoot, "-qR", path]);
        Assert.True(r.Code == 0, r.Stderr);
        return string.Join("\n", r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    private RunResult Nixsharp(params string[] args) => Tools.Run(Tools.Nixsharp, args, env: Env);

    private static JsonElement Json(RunResult r)
    {
        Assert.True(r.Code == 0, r.Stderr);
        return JsonDocument.Parse(r.Out).RootElement;
    }

    private static int Requests(JsonElement json, string command) =>
        json.GetProperty("requests").TryGetProperty(command, out var n) ? n.GetInt32() : 0;

    private string ServeUrl(string remoteStore) =>
        $"ssh://{Host}?remote-program={Uri.EscapeDataString(_f.NixsharpAsNixStore)}&remote-store={Uri.EscapeDataString(remoteStore)}";

    [Fact]
    public void RealNixCopyToSshStoreServedByNixsharp()
    {
        var local = _tmp.Sub("local");
        var remote = new TestStore(_tmp.Sub("remote"));
        var (_, _, app) = MakeClosure(local);
        var copy = Tools.Run("nix", ["--extra-experimental-features", "nix-command", "copy", "--store", local,
            "--to", ServeUrl(remote.Root), app], env: Env);
        Assert.True(copy.Code == 0, copy.Stderr);
        remote.AssertVerifies("after nix copy to nixsharp store serve");
        Assert.Equal(Requisites(local, app), Requisites(remote.Root, app));
        Assert.Empty(remote.StrayEntries());
    }

    [Fact]
    public void RealNixCopyClosureToHostServedByNixsharp()
    {
        var local = _tmp.Sub("local");
        var remote = new TestStore(_tmp.Sub("remote"));
        var (_, big, app) = MakeClosure(local);
        // nix-copy-closure makes "ssh://" + its host argument, so ssh:// settings ride along on it.
        var host = $"{Host}?remote-program={_f.NixsharpAsNixStore}&remote-store={remote.Root}";
        var copy = Tools.Run("nix-copy-closure", ["--store", local, "--to", host, app], env: Env);
        Assert.True(copy.Code == 0, copy.Stderr);
        remote.AssertVerifies("after nix-copy-closure to nixsharp store serve");
        Assert.Equal(Requisites(local, app), Requisites(remote.Root, app));

        // And back, from the nixsharp-served host into a fresh store.
        var back = _tmp.Sub("back");
        var from = Tools.Run("nix-copy-closure", ["--store", back, "--from", host, big], env: Env);
        Assert.True(from.Code == 0, from.Stderr);
        Assert.Equal(Requisites(local, big), Requisites(back, big));
    }

    [Fact]
    public void NixsharpCopiesToAHostServedByRealNixStore()
    {
        var local = _tmp.Sub("local");
        var remote = new TestStore(_tmp.Sub("remote"));
        var (_, _, app) = MakeClosure(local);
        var json = Json(Nixsharp("copy", "--store", local, "--to", $"ssh://{Host}?remote-store={remote.Root}", "--json", app));
        Assert.Equal(3, json.GetProperty("pathsCopied").GetInt32());
        Assert.True(json.GetProperty("bytes").GetInt64() > 1536 * 1024);
        remote.AssertVerifies("after nixsharp copy to nix-store --serve");
        Assert.Equal(Requisites(local, app), Requisites(remote.Root, app));

        // Everything is there now: nothing is sent, one question asked.
        var again = Json(Nixsharp("copy", "--store", local, "--to", $"ssh://{Host}?remote-store={remote.Root}", "--json", app));
        Assert.Equal(0, again.GetProperty("pathsCopied").GetInt32());
        Assert.Equal(3, again.GetProperty("alreadyPresent").GetInt32());
        Assert.Equal(1, Requests(again, "QueryValidPaths"));
        Assert.Equal(0, Requests(again, "AddToStoreNar"));
    }

    [Fact]
    public void NixsharpCopiesFromHostsServedByRealNixAndByNixsharp()
    {
        var origin = new TestStore(_tmp.Sub("origin"));
        var (lib, _, app) = MakeClosure(origin.Root);

        // From real nix-store --serve.
        var local = new TestStore(_tmp.Sub("local"));
        var json = Json(Nixsharp("copy", "--store", local.Root, "--no-check-sigs", "--from", $"ssh://{Host}?remote-store={origin.Root}", "--json", app));
        Assert.Equal(3, json.GetProperty("pathsCopied").GetInt32());
        Assert.Equal(1, Requests(json, "QueryClosure"));
        Assert.Equal(1, Requests(json, "QueryPathInfos"));
        local.AssertVerifies("after nixsharp copy --from nix-store --serve");
        Assert.Equal(Requisites(origin.Root, app), Requisites(local.Root, app));

        // From nixsharp store serve, with lib already here: two paths come.
        var local2 = new TestStore(_tmp.Sub("local2"));
        Json(Nixsharp("copy", "--store", local2.Root, "--no-check-sigs", "--from", ServeUrl(origin.Root), "--json", lib));
        var json2 = Json(Nixsharp("copy", "--store", local2.Root, "--no-check-sigs", "--from", ServeUrl(origin.Root), "--json", app));
        Assert.Equal(2, json2.GetProperty("pathsCopied").GetInt32());
        Assert.Equal(1, json2.GetProperty("alreadyPresent").GetInt32());
        local2.AssertVerifies("after nixsharp copy --from nixsharp store serve");
        Assert.Equal(Requisites(origin.Root, app), Requisites(local2.Root, app));
    }

    [Fact]
    public void CopyClosureShorthandBothWays()
    {
        var local = _tmp.Sub("local");
        var remote = new TestStore(_tmp.Sub("remote"));
        var (_, _, app) = MakeClosure(local);
        var to = Nixsharp("copy-closure", "--store", local, "--to", $"{Host}?remote-store={remote.Root}", app);
        Assert.True(to.Code == 0, to.Stderr);
        // Not a terminal: a plain line per path and a summary.
        Assert.Contains($"copying path '{app}' to 'ssh://{Host}'...", to.Stderr);
        Assert.Contains("copied 3 paths", to.Stderr);
        remote.AssertVerifies("after copy-closure --to");

        var back = new TestStore(_tmp.Sub("back"));
        var from = Nixsharp("copy-closure", "--store", back.Root, "--from", $"{Host}?remote-store={remote.Root}", app);
        Assert.True(from.Code == 0, from.Stderr);
        back.AssertVerifies("after copy-closure --from");
        Assert.Equal(Requisites(local, app), Requisites(back.Root, app));
    }

    [Fact]
    public void OfAThousandPathClosureOnlyTheTenMissingAreSentAfterOneQuestion()
    {
        // A chain: p[i] refers to p[i-1] (and p[i/2]), so the first 990 are closed under references.
        var items = new List<FakeClosure.Item>();
        for (int i = 0; i < 1000; i++)
        {
            var refs = i == 0 ? [] : new[] { items[i - 1].Path, items[i / 2].Path }.Distinct().ToArray();
            items.Add(FakeClosure.TextItem($"p{i}", $"path {i}", refs));
        }
        var local = _tmp.Sub("local");
        var remote = new TestStore(_tmp.Sub("remote"));
        FakeClosure.Import(local, items);
        FakeClosure.Import(remote.Root, items.Take(990));
        var before = remote.ValidPaths().ToHashSet(StringComparer.Ordinal);
        Assert.Equal(990, before.Count);

        var json = Json(Nixsharp("copy", "--store", local, "--to", $"ssh://{Host}?remote-store={remote.Root}", "--json", items[999].Path));
        Assert.Equal(10, json.GetProperty("pathsCopied").GetInt32());
        Assert.Equal(990, json.GetProperty("alreadyPresent").GetInt32());
        Assert.Equal(1, Requests(json, "QueryValidPaths"));
        Assert.Equal(10, Requests(json, "AddToStoreNar"));
        var added = remote.ValidPaths().Where(p => !before.Contains(p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(items.Skip(990).Select(i => i.Path).Order(StringComparer.Ordinal), added);
        Assert.Equal(items.Skip(990).Select(i => i.Path).Order(StringComparer.Ordinal),
            json.GetProperty("copied").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
    }

    // ---- Hostile servers and broken connections ------------------------------------------------

    /// <summary>Passes the first n bytes through as they come, then ends (head -c would hold small
    /// answers in its stdio buffer and stall the protocol).</summary>
    private static string Cut(int n) => $"dd bs=65536 count={n} iflag=count_bytes status=none";

    /// <summary>The "error: …" line of a failed command (progress lines come before it), which
    /// must be the only error and come with no stack trace.</summary>
    private static string ErrorOf(RunResult r)
    {
        Assert.Equal(1, r.Code);
        var at = r.Stderr.IndexOf("error: ", StringComparison.Ordinal);
        Assert.True(at >= 0, "no error message: " + r.Stderr);
        return r.Stderr.Substring(at);
    }

    [Fact]
    public void AMissingRemoteProgramIsAClearConnectionError()
    {
        var local = _tmp.Sub("local");
        var (_, _, app) = MakeClosure(local);
        var r = Nixsharp("copy", "--store", local, "--to", $"ssh://{Host}?remote-program=/nonexistent/nix-store", app);
        Assert.StartsWith($"error: cannot connect to 'ssh://{Host}': the remote program was not found (exit status 127)", ErrorOf(r));

        var bad = Nixsharp("copy", "--store", local, "--to", "ssh://nixsharp-no-such-host.invalid", app);
        Assert.StartsWith("error: cannot connect to 'ssh://nixsharp-no-such-host.invalid': ssh exited with status 255", ErrorOf(bad));
    }

    [Fact]
    public void GarbageAfterTheHandshakeIsRefusedAndNothingIsRegistered()
    {
        // Answers the greeting as nix-store --serve 2.7 does, then sends an HTTP error page.
        var server = _f.Script("garbage-server",
            """
            head -c 16 >/dev/null
            printf '\313\356\122\124\000\000\000\000\007\002\000\000\000\000\000\000'
            printf 'HTTP/1.1 400 Bad Request\r\n\r\nnot the serve protocol\n'
            sleep 30
            """);
        var local = new TestStore(_tmp.Sub("local"));
        var r = Nixsharp("copy", "--store", local.Root, "--from", $"ssh://{Host}?remote-program={server}",
            FakeClosure.NewPath("anything"));
        Assert.StartsWith($"error: 'ssh://{Host}' sent garbage while asking which paths it has: the valid paths has", ErrorOf(r));
        Assert.Empty(local.ValidPaths());
        Assert.Empty(local.StrayEntries());
    }

    [Fact]
    public void AServerThatClosesMidNarLeavesNothingHalfRegistered()
    {
        var origin = _tmp.Sub("origin");
        var (lib, big, app) = MakeClosure(origin);
        // Real nix-store --serve whose output is cut after 300 000 bytes: inside big's NAR.
        var server = _f.Script("cut-server", $"/usr/bin/nix-store \"$@\" | {Cut(300_000)}");
        var local = new TestStore(_tmp.Sub("local"));
        var r = Nixsharp("copy", "--store", local.Root, "--no-check-sigs", "--from", $"ssh://{Host}?remote-program={server}&remote-store={origin}", app);
        Assert.StartsWith($"error: lost the connection to 'ssh://{Host}' while receiving '{big}'", ErrorOf(r));
        Assert.Equal([lib], local.ValidPaths());
        Assert.Empty(local.StrayEntries());
        local.AssertVerifies("after a connection cut mid-NAR");

        // A retry through an intact connection fetches what is missing.
        var retry = Json(Nixsharp("copy", "--store", local.Root, "--no-check-sigs", "--from", $"ssh://{Host}?remote-store={origin}", "--json", app));
        Assert.Equal(2, retry.GetProperty("pathsCopied").GetInt32());
        local.AssertVerifies("after the retry");
    }

    [Fact]
    public void ANarThatDoesNotMatchItsClaimedHashIsRefused()
    {
        var origin = new TestStore(_tmp.Sub("origin"));
        var (lib, big, app) = MakeClosure(origin.Root);
        // Corrupt the served copy behind the database's back (same size, one byte changed):
        // nix-store --serve sends the changed NAR with the recorded hash.
        var blob = origin.Real(big) + "/blob";
        File.SetUnixFileMode(blob, (UnixFileMode)0b110_100_100);
        using (var f = new FileStream(blob, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 1000;
            var b = f.ReadByte();
            f.Position = 1000;
            f.WriteByte((byte)(b ^ 0xff));
        }
        var local = new TestStore(_tmp.Sub("local"));
        var r = Nixsharp("copy", "--store", local.Root, "--no-check-sigs", "--from", $"ssh://{Host}?remote-store={origin.Root}", app);
        Assert.StartsWith($"error: refusing '{big}' from 'ssh://{Host}' (nothing of it was registered): hash mismatch importing path '{big}'", ErrorOf(r));
        Assert.Equal([lib], local.ValidPaths());
        Assert.Empty(local.StrayEntries());
        local.AssertVerifies("after a refused NAR");
    }

    /// <summary>The client gives up on a session without waiting for the remote server, which may
    /// still be removing what it had started (a path's files, its lock file): they must go soon.</summary>
    private static void AssertNoStraysOnceTheServerIsDone(TestStore remote)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (remote.StrayEntries().Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.Empty(remote.StrayEntries());
    }

    [Fact]
    public void ALocallyCorruptedPathIsNotSpread()
    {
        var local = new TestStore(_tmp.Sub("local"));
        var (lib, big, app) = MakeClosure(local.Root);
        var blob = local.Real(big) + "/blob";
        File.SetUnixFileMode(blob, (UnixFileMode)0b110_100_100);
        using (var f = new FileStream(blob, FileMode.Open, FileAccess.ReadWrite)) f.WriteByte(0x42);
        var remote = new TestStore(_tmp.Sub("remote"));
        var r = Nixsharp("copy", "--store", local.Root, "--to", ServeUrl(remote.Root), app);
        // The remote checks each NAR against the hash sent with it (AddToStoreNar) and refuses it.
        var err = ErrorOf(r);
        Assert.StartsWith($"error: lost the connection to 'ssh://{Host}' while adding '{big}' (1 of 3 paths done)", err);
        Assert.Contains($"hash mismatch importing path '{big}'", err);
        Assert.DoesNotContain(big, remote.ValidPaths());
        AssertNoStraysOnceTheServerIsDone(remote);
    }

    [Fact]
    public void AConnectionLostMidTransferToNixsharpServeLeavesItConsistentAndARetryCompletes()
    {
        var local = _tmp.Sub("local");
        var (lib, big, app) = MakeClosure(local);
        // nixsharp store serve whose input is cut after 300 000 bytes: inside big's NAR.
        var server = _f.Script("cut-input-server", $"{Cut(300_000)} | {_f.NixsharpAsNixStore} \"$@\"");
        var remote = new TestStore(_tmp.Sub("remote"));
        var r = Nixsharp("copy", "--store", local, "--to", $"ssh://{Host}?remote-program={server}&remote-store={remote.Root}", app);
        Assert.StartsWith($"error: lost the connection to 'ssh://{Host}' while adding '{big}'", ErrorOf(r));
        Assert.Equal([lib], remote.ValidPaths());
        AssertNoStraysOnceTheServerIsDone(remote);
        remote.AssertVerifies("after a connection cut mid-transfer");

        var retry = Json(Nixsharp("copy", "--store", local, "--to", ServeUrl(remote.Root), "--json", app));
        Assert.Equal(2, retry.GetProperty("pathsCopied").GetInt32());
        Assert.Equal(1, retry.GetProperty("alreadyPresent").GetInt32());
        remote.AssertVerifies("after the retry");
        Assert.Equal(Requisites(local, app), Requisites(remote.Root, app));
    }
}
