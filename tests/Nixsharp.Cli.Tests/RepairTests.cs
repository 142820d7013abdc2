// store verify --repair, build --repair and store realise --repair, against nix-store 2.8: the same
// damage done to a nixsharp-built and a Nix-built store is reported and repaired with the same
// messages; afterwards nix-store --verify --check-contents passes. Where Nix 2.8 does harm (a failed
// rebuild deletes the path; a substitute with the wrong hash is left in place) nixsharp leaves the
// path as it was, and these tests check that instead.
namespace Nixsharp.Cli.Tests;

using Xunit;

public sealed class RepairTests : IDisposable
{
    private readonly BuildScratch _s = new();
    private const string Expr = "a = mk \"a\" \"echo hello > $out\";\n" +
                                "b = mk \"b\" \"mkdir $out; echo ${a} > $out/ref; echo x > $out/f\";\n" +
                                "flag = mk \"flag\" \"cat /flag > $out\";\n" +
                                "random = mk \"random\" \"echo $RANDOM$RANDOM$RANDOM > $out\";";

    public void Dispose() => _s.Dispose();

    private static readonly string[] Sandbox = BuildScratch.ShFromBusybox;

    private RunResult Verify(string storeRoot, params string[] extra) =>
        Tools.Run(Tools.Nixsharp, ["store", "verify", "--store", storeRoot, "--check-contents", "--repair", .. Sandbox, .. extra],
            cwd: _s.Dir.Path, env: _s.Env);

    private RunResult NixVerify(string storeRoot, params string[] extra) =>
        Tools.Run("nix-store", ["--store", storeRoot, .. Sandbox, "--verify", "--check-contents", .. extra], cwd: _s.Dir.Path, env: _s.Env);

    /// <summary>Overwrites a file of the store (made writable first).</summary>
    private static void Spoil(string realFile, string text = "bad\n")
    {
        var dir = Path.GetDirectoryName(realFile)!;
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        if (File.Exists(realFile)) File.SetUnixFileMode(realFile, (UnixFileMode)0x1A4);
        File.WriteAllText(realFile, text);
    }

    private static void AssertNixVerifies(string storeRoot)
    {
        var r = Tools.Nix("nix-store", "--store", storeRoot, "--verify", "--check-contents");
        Assert.True(r.Code == 0 && !r.Stderr.Contains("modified") && !r.Stderr.Contains("disappeared"), r.Stderr);
    }

    /// <summary>The same paths (Populate) in a nixsharp store, "ours", and a Nix store, "theirs".</summary>
    private (string Ours, string Theirs, (string A, string B, string File) Paths) PopulateBoth()
    {
        var ours = _s.Dir.Sub("ours");
        var theirs = _s.Dir.Sub("theirs");
        var p = Populate(ours, nix: false);
        Assert.Equal(p, Populate(theirs, nix: true));
        return (ours, theirs, p);
    }

    /// <summary>Builds b (and a) and adds a plain file, in a nixsharp store or, with nix, a Nix store.</summary>
    private (string A, string B, string File) Populate(string storeRoot, bool nix)
    {
        var expr = _s.Write(Expr);
        var file = _s.Dir.Sub("file1");
        File.WriteAllText(file, "content\n");
        RunResult built, added;
        if (nix)
        {
            built = Tools.Run("nix-build", ["--store", storeRoot, .. Sandbox, expr, "-A", "b", "--no-out-link"], cwd: _s.Dir.Path, env: _s.Env);
            added = Tools.Nix("nix-store", "--store", storeRoot, "--add", file);
        }
        else
        {
            built = Tools.Run(Tools.Nixsharp, ["build", "--store", storeRoot, .. Sandbox, expr, "-A", "b", "--no-out-link"], cwd: _s.Dir.Path, env: _s.Env);
            added = Tools.Ns("store", "add", "--store", storeRoot, file);
        }
        Assert.True(built.Code == 0, built.Stderr);
        Assert.True(added.Code == 0, added.Stderr);
        var b = built.Out.Trim();
        var a = File.ReadAllText(storeRoot + b + "/ref").Trim();
        return (a, b, added.Out.Trim());
    }

    private static void SpoilAll(string root, (string A, string B, string File) p)
    {
        Spoil(root + p.B + "/f");
        Spoil(root + p.A);
        Spoil(root + p.File);
    }

    [Fact]
    public void VerifyRepairRebuildsOutputsAndReportsWhatItCannotRepairAsNixDoes()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        var (ours, theirs, p) = PopulateBoth();
        SpoilAll(ours, p);
        SpoilAll(theirs, p);

        var o = Verify(ours);
        var t = NixVerify(theirs, "--repair");
        Assert.Equal(t.Stderr, o.Stderr);
        Assert.Equal(t.Code, o.Code);
        Assert.Equal(1, o.Code);
        Assert.Contains($"repairing outputs of '", o.Stderr);
        Assert.Contains($"error: cannot repair path '{p.File}'\nwarning: not all store errors were fixed\n", o.Stderr);
        Assert.Equal("x\n", File.ReadAllText(ours + p.B + "/f"));
        Assert.Equal("hello\n", File.ReadAllText(ours + p.A));
        // What cannot be repaired is left as it was.
        Assert.Equal("bad\n", File.ReadAllText(ours + p.File));
        Assert.DoesNotContain(new TestStore(ours).StrayEntries(), e => e.Contains(".repair"));

        // Only the added path is still reported, by Nix too.
        var after = NixVerify(ours);
        Assert.Equal(1, after.Code);
        Assert.Single(after.Stderr.Split('\n'), l => l.Contains("was modified!"));
        Assert.Contains($"path '{p.File}' was modified!", after.Stderr);
    }

    [Fact]
    public void AMissingPathWithReferrersIsRebuiltAsNixDoes()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        var (ours, theirs, p) = PopulateBoth();
        foreach (var root in new[] { ours, theirs })
        {
            File.SetUnixFileMode(root + "/nix/store", (UnixFileMode)0x1ED);
            File.Delete(root + p.A);
        }
        var plain = Tools.Ns("store", "verify", "--store", ours);
        var plainNix = Tools.Nix("nix-store", "--store", theirs, "--verify");
        Assert.Equal(plainNix.Stderr, plain.Stderr);
        Assert.Equal(plainNix.Code, plain.Code);

        var o = Tools.Run(Tools.Nixsharp, ["store", "verify", "--store", ours, "--repair", .. Sandbox], cwd: _s.Dir.Path, env: _s.Env);
        var t = Tools.Run("nix-store", ["--store", theirs, .. Sandbox, "--verify", "--repair"], cwd: _s.Dir.Path, env: _s.Env);
        Assert.Equal(t.Stderr, o.Stderr);
        Assert.Equal(0, o.Code);
        Assert.Equal(t.Code, o.Code);
        Assert.Equal("hello\n", File.ReadAllText(ours + p.A));
        AssertNixVerifies(ours);
    }

    [Fact]
    public void AFailedRebuildLeavesThePathAsItWas()
    {
        if (!BuildScratch.CanRun) return;
        var expr = _s.Write(Expr);
        File.WriteAllText(_s.Dir.Sub("flagfile"), "flag\n");
        var built = _s.Build(expr, "-A", "flag", "--option", "extra-sandbox-paths", "/flag=" + _s.Dir.Sub("flagfile"));
        Assert.True(built.Code == 0, built.Stderr);
        var path = built.Out.Trim();
        Spoil(_s.Store.Real(path), "spoilt\n");
        // Without /flag in the sandbox the rebuild fails (Nix 2.8 deletes the path then; nixsharp does not).
        var r = Verify(_s.Store.Root);
        Assert.Equal(1, r.Code);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Contains($"repairing outputs of '", r.Stderr);
        Assert.Contains("error: builder for '", r.Stderr);
        Assert.EndsWith("warning: not all store errors were fixed\n", r.Stderr);
        Assert.Equal("spoilt\n", File.ReadAllText(_s.Store.Real(path)));
        Assert.True(_s.Store.IsValid(path));
        _s.AssertNoLeftovers();
    }

    [Fact]
    public void ARebuildThatComesOutDifferentIsRegisteredWithItsNewHash()
    {
        if (!BuildScratch.CanRun) return;
        var expr = _s.Write(Expr);
        var path = _s.BuildOk(expr, "-A", "random");
        var before = File.ReadAllText(_s.Store.Real(path));
        Spoil(_s.Store.Real(path));
        var r = Verify(_s.Store.Root);
        Assert.True(r.Code == 0, r.Stderr);
        Assert.NotEqual("bad\n", File.ReadAllText(_s.Store.Real(path)));
        Assert.NotEqual(before, File.ReadAllText(_s.Store.Real(path)));
        _s.Store.AssertVerifies("after a repair by a rebuild that differs");
    }

    private (string Url, string PublicKey) MakeCache(string storeRoot, params string[] paths)
    {
        var secret = Tools.Ns("key", "generate-secret", "--key-name", "repair-test-1");
        Assert.True(secret.Code == 0, secret.Stderr);
        var secretFile = _s.Dir.Sub("secret.key");
        File.WriteAllBytes(secretFile, secret.Stdout);
        var pub = Tools.Run(Tools.Nixsharp, ["key", "convert-secret-to-public"], stdin: secret.Stdout);
        var cache = _s.Dir.Sub("cache");
        var copy = Tools.Ns(["copy", "--to", $"file://{cache}?secret-key={secretFile}", "--store", storeRoot, .. paths]);
        Assert.True(copy.Code == 0, copy.Stderr);
        return ("file://" + cache, pub.Out.Trim());
    }

    [Fact]
    public void RepairFetchesFromASignedCacheBeforeRebuilding()
    {
        if (!BuildScratch.CanRun) return;
        var root = _s.Store.Root;
        var p = Populate(root, nix: false);
        var (url, key) = MakeCache(root, p.B, p.File);
        SpoilAll(root, p);
        var r = Verify(root, "--option", "substituters", url, "--option", "trusted-public-keys", key);
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Contains($"path '{p.B}' was modified!", r.Stderr);
        Assert.Contains($"copying path '{p.B}' from '{url}'...", r.Stderr);
        Assert.Contains($"copying path '{p.A}' from '{url}'...", r.Stderr);
        Assert.Contains($"copying path '{p.File}' from '{url}'...", r.Stderr);
        Assert.DoesNotContain("repairing outputs", r.Stderr);
        Assert.Equal("content\n", File.ReadAllText(root + p.File));
        _s.Store.AssertVerifies("after a repair from a cache");
        Assert.DoesNotContain(_s.Store.StrayEntries(), e => e.Contains(".repair"));
    }

    [Fact]
    public void ACacheCopyWithTheWrongHashIsRefusedAndNothingChanges()
    {
        if (!BuildScratch.CanRun) return;
        var root = _s.Store.Root;
        var p = Populate(root, nix: false);
        // Another file of the same NAR size, whose NAR replaces file1's in the cache.
        var other = _s.Dir.Sub("other");
        File.WriteAllText(other, "contenT\n");
        var otherPath = Tools.Ns("store", "add", "--store", root, other).Out.Trim();
        var (url, key) = MakeCache(root, p.File, otherPath);
        var cache = url["file://".Length..];
        File.Copy(SubstitutionSource.NarFile(cache, otherPath), SubstitutionSource.NarFile(cache, p.File), overwrite: true);
        Spoil(root + p.File, "spoilt\n");
        var before = _s.Store.Snapshot();
        var r = Verify(root, "--option", "substituters", url, "--option", "trusted-public-keys", key);
        Assert.Equal(1, r.Code);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Contains($"copying path '{p.File}' from '{url}'...\nerror: ", r.Stderr);
        Assert.Contains($"error: cannot repair path '{p.File}'\nwarning: not all store errors were fixed\n", r.Stderr);
        Assert.Equal("spoilt\n", File.ReadAllText(root + p.File));
        Assert.Equal(before, _s.Store.Snapshot());
        Assert.DoesNotContain(_s.Store.StrayEntries(), e => e.Contains(".repair"));
    }

    [Fact]
    public void BuildRepairAndRealiseRepairRebuildDamagedOutputsAsNixBuildDoes()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        var (ours, theirs, p) = PopulateBoth();
        var expr = _s.Dir.Sub("default.nix");
        // Both outputs damaged: Nix 2.8 reports every path it checks in a chroot store as damaged
        // (it looks at the logical path), so only then do the messages agree.
        foreach (var root in new[] { ours, theirs })
        {
            Spoil(root + p.B + "/f");
            Spoil(root + p.A);
        }
        var o = Tools.Run(Tools.Nixsharp, ["build", "--store", ours, .. Sandbox, expr, "-A", "b", "--no-out-link", "--repair"], cwd: _s.Dir.Path, env: _s.Env);
        var t = Tools.Run("nix-build", ["--store", theirs, .. Sandbox, expr, "-A", "b", "--no-out-link", "--repair"], cwd: _s.Dir.Path, env: _s.Env);
        Assert.Equal(t.Stderr, o.Stderr);
        Assert.Equal(t.Out, o.Out);
        Assert.Equal(0, o.Code);
        Assert.Equal("x\n", File.ReadAllText(ours + p.B + "/f"));
        Assert.Equal("hello\n", File.ReadAllText(ours + p.A));

        Spoil(ours + p.B + "/f");
        var drv = Tools.Ns("store", "query", "--store", ours, "--deriver", p.B).Out.Trim();
        var realise = Tools.Run(Tools.Nixsharp, ["store", "realise", "--store", ours, .. Sandbox, drv, "--repair"], cwd: _s.Dir.Path, env: _s.Env);
        Assert.True(realise.Code == 0, realise.Stderr);
        Assert.Contains($"repairing outputs of '{drv}'...", realise.Stderr);
        Assert.DoesNotContain($"repairing outputs of '{drv.Replace("-b.drv", "-a.drv")}'", realise.Stderr);
        Assert.Equal("x\n", File.ReadAllText(ours + p.B + "/f"));
        AssertNixVerifies(ours);
    }
}
