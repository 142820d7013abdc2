// Substitution: outputs built in one store and copied to a signed binary cache are fetched instead
// of built by `nixsharp build` and `nixsharp store realise` in a fresh store. In each scenario
// nix-build / nix-store -r 2.8 run against the same cache in a scratch store of their own, and
// nixsharp must exit as they do and print exactly what they print (same stdout, same stderr):
// what will be fetched and built, "copying path" lines, warnings about untrusted or unreachable
// caches, and the errors of a corrupt download with and without --fallback.
namespace Nixsharp.Cli.Tests;

using Xunit;

/// <summary>A store in which the expression's derivations were built, and caches made from it:
/// signed (top, big, noref with their closures), partial (multi's `out` only) and unsigned.</summary>
public sealed class SubstitutionSource : IDisposable
{
    public TempDir Dir { get; } = new("nixsharp-subst");
    public string Expression => Dir.Sub("default.nix");
    public string Source => Dir.Sub("source");
    public string SecretKey => Dir.Sub("cache.sec");
    public string PublicKey { get; }
    public string OtherPublicKey { get; }
    public string SignedCache => Dir.Sub("signed");
    public string PartialCache => Dir.Sub("partial");
    public string UnsignedCache => Dir.Sub("unsigned");
    /// <summary>Output paths by attribute (multi.out is "multi", multi.dev "multi.dev").</summary>
    public Dictionary<string, string> Out { get; } = new(StringComparer.Ordinal);
    public string Tmp => Dir.Sub("tmp");

    public static readonly string[] Attributes = ["dep", "top", "noref", "big", "multi.out", "multi.dev"];

    public SubstitutionSource()
    {
        Directory.CreateDirectory(Tmp);
        File.WriteAllText(Expression, """
            let
              mkWith = name: attrs: script: derivation ({ inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" script ]; } // attrs);
              mk = name: script: mkWith name { } script;
            in rec {
              dep = mk "dep" "echo dep > $out";
              top = mk "top" "echo ${dep} > $out; echo top >> $out";
              noref = mk "noref" "cat ${dep} > $out; echo noref >> $out";
              multi = mkWith "multi" { outputs = [ "out" "dev" ]; } "echo ${dep} > $out; echo dev > $dev";
              big = mk "big" "seq 1 300000 > $out";
            }
            """);
        var build = Tools.Run(Tools.Nixsharp, new[] { "build", "--store", Source, "--no-out-link", Expression }
            .Concat(BuildScratch.ShFromBusybox).Concat(Attributes.SelectMany(a => new[] { "-A", a })), env: new Dictionary<string, string> { ["TMPDIR"] = Tmp });
        Assert.True(build.Code == 0, build.Stderr);
        var outs = build.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Attributes.Length, outs.Length);
        for (int i = 0; i < outs.Length; i++) Out[Attributes[i] == "multi.out" ? "multi" : Attributes[i]] = outs[i];

        PublicKey = MakeKey("cache-1", SecretKey);
        OtherPublicKey = MakeKey("other-1", Dir.Sub("other.sec"));
        Copy($"file://{SignedCache}?secret-key={SecretKey}", Out["top"], Out["big"], Out["noref"]);
        Copy($"file://{PartialCache}?secret-key={SecretKey}", Out["multi"]);
        Copy($"file://{UnsignedCache}", Out["top"], Out["big"], Out["noref"]);
    }

    private void Copy(string to, params string[] paths)
    {
        var r = Tools.Ns(["copy", "--to", to, "--store", Source, .. paths]);
        Assert.True(r.Code == 0, r.Stderr);
    }

    private static string MakeKey(string name, string file)
    {
        var secret = Tools.Ns("key", "generate-secret", "--key-name", name);
        Assert.True(secret.Code == 0, secret.Stderr);
        File.WriteAllBytes(file, secret.Stdout);
        var pub = Tools.Run(Tools.Nixsharp, ["key", "convert-secret-to-public"], stdin: secret.Stdout);
        Assert.True(pub.Code == 0, pub.Stderr);
        return pub.Out.Trim();
    }

    /// <summary>A copy of a cache to spoil in one test.</summary>
    public string CopyCache(string cache, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(cache, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return to;
    }

    /// <summary>The NAR file of a path in a cache.</summary>
    public static string NarFile(string cache, string storePath)
    {
        var narInfo = Path.Combine(cache, storePath["/nix/store/".Length..][..32] + ".narinfo");
        var url = File.ReadAllLines(narInfo).Single(l => l.StartsWith("URL: ", StringComparison.Ordinal))["URL: ".Length..];
        return Path.Combine(cache, url);
    }

    public void Dispose() => Dir.Dispose();
}

public sealed class BuildSubstitutionTests : IClassFixture<SubstitutionSource>, IDisposable
{
    private readonly SubstitutionSource _fx;
    private readonly TempDir _tmp = new("nixsharp-subst-run");

    public BuildSubstitutionTests(SubstitutionSource fx)
    {
        Assert.True(Tools.NixInstalled, "Nix 2.8 is not installed; scripts/test.sh installs it");
        Assert.True(BuildScratch.CanRun, "busybox and bubblewrap are needed to build");
        _fx = fx;
        Directory.CreateDirectory(_tmp.Sub("tmp"));
    }

    public void Dispose() => _tmp.Dispose();

    private Dictionary<string, string> Env => new() { ["TMPDIR"] = _tmp.Sub("tmp") };

    private string[] Trusting(string cacheUrl, string? key = null) =>
        ["--option", "substituters", cacheUrl, "--option", "trusted-public-keys", key ?? _fx.PublicKey];

    /// <summary>nixsharp build of the attributes into a fresh store named `store`.</summary>
    private RunResult Ours(string store, string[] settings, params string[] args) =>
        Tools.Run(Tools.Nixsharp, new[] { "build", "--store", _tmp.Sub(store), "--no-out-link" }
            .Concat(BuildScratch.ShFromBusybox).Concat(settings).Concat(args).Append(_fx.Expression), env: Env);

    /// <summary>nix-build 2.8 of the same, sandboxed the same way, into its own fresh store.</summary>
    private RunResult Theirs(string store, string[] settings, params string[] args) =>
        Tools.Run("nix-build", new[] { "--store", _tmp.Sub(store), "--no-out-link", "--option", "sandbox", "true" }
            .Concat(BuildScratch.ShFromBusybox).Concat(settings).Concat(args).Append(_fx.Expression), env: Env);

    private static string[] Attrs(params string[] names) => names.SelectMany(n => new[] { "-A", n }).ToArray();

    /// <summary>Both exit the same way and print exactly the same.</summary>
    private static void SameAsNix(RunResult theirs, RunResult ours)
    {
        Assert.DoesNotContain("   at ", ours.Stderr);
        Assert.True(theirs.Code == ours.Code, $"nix exited {theirs.Code}, nixsharp {ours.Code}\nnix:\n{theirs.Stderr}\nnixsharp:\n{ours.Stderr}");
        Assert.Equal(theirs.Out, ours.Out);
        Assert.Equal(theirs.Stderr, ours.Stderr);
    }

    private string Query(string store, string what, string path)
    {
        var r = Tools.Nix("nix-store", "--store", _tmp.Sub(store), "-q", what, path);
        Assert.True(r.Code == 0, r.Stderr);
        return r.Out;
    }

    /// <summary>What the store the outputs were built in says of a path.</summary>
    private string SourceQuery(string what, string path) => Tools.Nix("nix-store", "--store", _fx.Source, "-q", what, path).Out;

    private bool IsValid(string store, string path) => new TestStore(_tmp.Sub(store)).IsValid(path);

    private void Verifies(string store)
    {
        var r = Tools.Nix("nix-store", "--store", _tmp.Sub(store), "--verify", "--check-contents");
        Assert.True(r.Code == 0, r.Stderr);
    }

    [Fact]
    public void OutputsAreFetchedNotBuiltAndNixBuildPrintsTheSame()
    {
        var settings = Trusting("file://" + _fx.SignedCache);
        var theirs = Theirs("nix", settings, Attrs("top", "big"));
        var ours = Ours("ours", settings, Attrs("top", "big"));
        SameAsNix(theirs, ours);
        Assert.Equal(0, ours.Code);
        Assert.Contains("these 3 paths will be fetched (", ours.Stderr);
        Assert.Contains($"copying path '{_fx.Out["dep"]}' from 'file://{_fx.SignedCache}'...", ours.Stderr);
        Assert.DoesNotContain("building", ours.Stderr);
        Assert.Equal($"{_fx.Out["top"]}\n{_fx.Out["big"]}\n", ours.Out);
        foreach (var p in new[] { "top", "big", "dep" })
        {
            foreach (var q in new[] { "--hash", "--size", "--references", "--deriver" })
                Assert.Equal(SourceQuery(q, _fx.Out[p]), Query("ours", q, _fx.Out[p]));
        }
        Verifies("ours");
        // Built again: all valid, nothing to fetch, nothing said.
        var again = Ours("ours", settings, Attrs("top", "big"));
        Assert.Equal(0, again.Code);
        Assert.Equal("", again.Stderr);
    }

    [Fact]
    public void InputsOfAFetchedDerivationAreNeitherBuiltNorFetched()
    {
        // noref's output does not refer to dep, its input: dep is not needed at all.
        var settings = Trusting("file://" + _fx.SignedCache);
        var theirs = Theirs("nix", settings, Attrs("noref"));
        var ours = Ours("ours", settings, Attrs("noref"));
        SameAsNix(theirs, ours);
        Assert.StartsWith("this path will be fetched (0.00 MiB download, 0.00 MiB unpacked):\n", ours.Stderr);
        Assert.True(IsValid("ours", _fx.Out["noref"]));
        Assert.False(IsValid("ours", _fx.Out["dep"]));
        Assert.False(IsValid("nix", _fx.Out["dep"]));
    }

    [Fact]
    public void DryRunListsWhatWouldBeBuiltAndFetchedInNixsOrder()
    {
        // multi is not in the cache: it is to be built; its input dep is to be fetched.
        var settings = Trusting("file://" + _fx.SignedCache);
        var theirs = Theirs("nix", settings, [.. Attrs("top", "big", "multi"), "--dry-run"]);
        var ours = Ours("ours", settings, [.. Attrs("top", "big", "multi"), "--dry-run"]);
        SameAsNix(theirs, ours);
        var lines = ours.Stderr.Split('\n');
        Assert.Equal("this derivation will be built:", lines[0]);
        Assert.Equal("these 3 paths will be fetched (0.06 MiB download, 1.90 MiB unpacked):", lines[2]);
        Assert.False(IsValid("ours", _fx.Out["top"]));
        Assert.False(IsValid("ours", _fx.Out["dep"]));
    }

    [Fact]
    public void OutputsThatCanBeFetchedAreAndTheOthersAreBuilt()
    {
        // The partial cache has multi's out (and dep), not its dev.
        var settings = Trusting("file://" + _fx.PartialCache);
        var theirs = Theirs("nix", settings, Attrs("multi.out", "multi.dev"));
        var ours = Ours("ours", settings, Attrs("multi.out", "multi.dev"));
        SameAsNix(theirs, ours);
        Assert.Contains($"copying path '{_fx.Out["multi"]}' from 'file://{_fx.PartialCache}'...", ours.Stderr);
        Assert.Contains("building '", ours.Stderr);
        Assert.Equal(SourceQuery("--hash", _fx.Out["multi"]), Query("ours", "--hash", _fx.Out["multi"]));
        Assert.True(IsValid("ours", _fx.Out["multi.dev"]));
        Verifies("ours");
    }

    [Fact]
    public void UnsignedAndWronglySignedCachesAreWarnedAboutAndBuiltFrom()
    {
        foreach (var (name, settings) in new[]
        {
            ("unsigned", Trusting("file://" + _fx.UnsignedCache)),
            ("wrong-key", Trusting("file://" + _fx.SignedCache, _fx.OtherPublicKey)),
        })
        {
            var theirs = Theirs("nix-" + name, settings, Attrs("top", "big"));
            var ours = Ours("ours-" + name, settings, Attrs("top", "big"));
            SameAsNix(theirs, ours);
            Assert.Contains($"warning: the substitute for '{_fx.Out["top"]}' from '", ours.Stderr);
            Assert.Contains("is not signed by any of the keys in 'trusted-public-keys'", ours.Stderr);
            Assert.Contains("building '", ours.Stderr);
            Assert.DoesNotContain("copying path", ours.Stderr);
            Verifies("ours-" + name);
        }
        // With require-sigs off, the unsigned cache is used.
        var unchecked_ = Ours("ours-unchecked", ["--option", "substituters", "file://" + _fx.UnsignedCache, "--option", "require-sigs", "false"], Attrs("top"));
        SameAsNix(Theirs("nix-unchecked", ["--option", "substituters", "file://" + _fx.UnsignedCache, "--option", "require-sigs", "false"], Attrs("top")), unchecked_);
        Assert.DoesNotContain("building", unchecked_.Stderr);
    }

    [Fact]
    public void ACorruptDownloadFailsAsInNixAndFallbackBuildsInstead()
    {
        // top's NAR replaced by dep's: a well-formed NAR with the wrong hash.
        var bad = _fx.CopyCache(_fx.SignedCache, _tmp.Sub("bad"));
        File.Copy(SubstitutionSource.NarFile(bad, _fx.Out["dep"]), SubstitutionSource.NarFile(bad, _fx.Out["top"]), overwrite: true);
        var settings = Trusting("file://" + bad);

        var theirs = Theirs("nix", settings, Attrs("top"));
        var ours = Ours("ours", settings, Attrs("top"));
        SameAsNix(theirs, ours);
        Assert.Equal(1, ours.Code);
        Assert.Contains($"error: hash mismatch importing path '{_fx.Out["top"]}';\n         specified: sha256:", ours.Stderr);
        Assert.EndsWith("try '--fallback' to build derivation from source\n", ours.Stderr);
        // Nothing half-valid: dep came whole, top not at all.
        Assert.False(IsValid("ours", _fx.Out["top"]));
        Assert.False(File.Exists(_tmp.Sub("ours") + _fx.Out["top"]));
        Assert.True(IsValid("ours", _fx.Out["dep"]));
        Verifies("ours");

        foreach (var fallback in new[] { new[] { "--fallback" }, ["--option", "fallback", "true"] })
        {
            var name = fallback.Length == 1 ? "flag" : "option";
            var theirsFallback = Theirs("nix-" + name, [.. settings, .. fallback], Attrs("top"));
            var oursFallback = Ours("ours-" + name, [.. settings, .. fallback], Attrs("top"));
            SameAsNix(theirsFallback, oursFallback);
            Assert.Equal(0, oursFallback.Code);
            Assert.Contains("building '", oursFallback.Stderr);
            Assert.Equal(SourceQuery("--hash", _fx.Out["top"]), Query("ours-" + name, "--hash", _fx.Out["top"]));
        }
    }

    [Fact]
    public void ATruncatedDownloadFailsCleanlyAndFallbackBuilds()
    {
        var bad = _fx.CopyCache(_fx.SignedCache, _tmp.Sub("truncated"));
        var nar = SubstitutionSource.NarFile(bad, _fx.Out["big"]);
        var bytes = File.ReadAllBytes(nar);
        File.WriteAllBytes(nar, bytes[..(bytes.Length / 2)]);
        var settings = Trusting("file://" + bad);
        var ours = Ours("ours", settings, Attrs("big"));
        Assert.Equal(1, ours.Code);
        Assert.DoesNotContain("   at ", ours.Stderr);
        Assert.Contains($"copying path '{_fx.Out["big"]}' from 'file://{bad}'...\nerror: ", ours.Stderr);
        Assert.Contains("error: some substitutes for the outputs of derivation '", ours.Stderr);
        Assert.EndsWith("try '--fallback' to build derivation from source\n", ours.Stderr);
        Assert.False(IsValid("ours", _fx.Out["big"]));
        Assert.False(File.Exists(_tmp.Sub("ours") + _fx.Out["big"]));
        var fallback = Ours("ours", [.. settings, "--fallback"], Attrs("big"));
        Assert.True(fallback.Code == 0, fallback.Stderr);
        Assert.Contains("building '", fallback.Stderr);
        Verifies("ours");
    }

    [Fact]
    public void AnUnreachableCacheIsWarnedAboutOnceAndSkipped()
    {
        // Nix retries for seconds (printing each retry) before the same final warning; nixsharp does not retry.
        var ours = Ours("ours", ["--option", "substituters", $"http://127.0.0.1:1 file://{_fx.SignedCache}", "--option", "trusted-public-keys", _fx.PublicKey],
            Attrs("top", "big", "multi"));
        Assert.True(ours.Code == 0, ours.Stderr);
        const string Warning = "warning: unable to download 'http://127.0.0.1:1/nix-cache-info': Couldn't connect to server (7)\n";
        Assert.StartsWith(Warning, ours.Stderr);
        Assert.Equal(1, ours.Stderr.Split("warning:").Length - 1);
        Assert.Contains($"copying path '{_fx.Out["top"]}' from 'file://{_fx.SignedCache}'...", ours.Stderr);

        var alone = Ours("alone", ["--option", "substituters", "http://127.0.0.1:1"], Attrs("top"));
        Assert.True(alone.Code == 0, alone.Stderr);
        Assert.Equal(Warning +
            "these 2 derivations will be built:\n" +
            $"  {Query("alone", "--deriver", _fx.Out["dep"]).Trim()}\n" +
            $"  {Query("alone", "--deriver", _fx.Out["top"]).Trim()}\n" +
            $"building '{Query("alone", "--deriver", _fx.Out["dep"]).Trim()}'...\n" +
            $"building '{Query("alone", "--deriver", _fx.Out["top"]).Trim()}'...\n", alone.Stderr);
    }

    [Fact]
    public void AnHttpCacheIsSubstitutedFromAsNixDoes()
    {
        using var server = new LoopbackHttpServer(_fx.SignedCache);
        var settings = Trusting(server.Url);
        var theirs = Theirs("nix", settings, Attrs("top", "big"));
        var ours = Ours("ours", settings, Attrs("top", "big"));
        SameAsNix(theirs, ours);
        Assert.Contains($"copying path '{_fx.Out["top"]}' from '{server.Url}'...", ours.Stderr);
        Assert.DoesNotContain("building", ours.Stderr);
        Verifies("ours");
        // A server that is not a binary cache (no nix-cache-info): warned about in Nix's words.
        var notACache = Ours("ours-none", ["--option", "substituters", server.Url + "/nar", "--dry-run"], Attrs("top"));
        Assert.StartsWith($"warning: '{server.Url}/nar' does not appear to be a binary cache\nthese 2 derivations will be built:\n", notACache.Stderr);
    }

    [Fact]
    public void LowerPriorityNumbersAreAskedFirst()
    {
        var first = _fx.CopyCache(_fx.SignedCache, _tmp.Sub("first"));
        var second = _fx.CopyCache(_fx.SignedCache, _tmp.Sub("second"));
        File.WriteAllText(Path.Combine(first, "nix-cache-info"), "StoreDir: /nix/store\nPriority: 60\n");
        File.WriteAllText(Path.Combine(second, "nix-cache-info"), "StoreDir: /nix/store\nPriority: 30\n");
        var settings = Trusting($"file://{first} file://{second}");
        var theirs = Theirs("nix", settings, Attrs("top"));
        var ours = Ours("ours", settings, Attrs("top"));
        SameAsNix(theirs, ours);
        Assert.Contains($"from 'file://{second}'", ours.Stderr);
        Assert.DoesNotContain($"from 'file://{first}'", ours.Stderr);
    }

    [Fact]
    public void AClosureWithAHoleIsFetchedOnceTheHoleIsBuilt()
    {
        // The cache lacks dep: top cannot be fetched until dep is built, then it is.
        var holed = _fx.CopyCache(_fx.SignedCache, _tmp.Sub("holed"));
        File.Delete(Path.Combine(holed, _fx.Out["dep"]["/nix/store/".Length..][..32] + ".narinfo"));
        var settings = Trusting("file://" + holed);
        var theirs = Theirs("nix", settings, Attrs("top"));
        var ours = Ours("ours", settings, Attrs("top"));
        SameAsNix(theirs, ours);
        Assert.Contains($"don't know how to build these paths:\n  {_fx.Out["dep"]}\n", ours.Stderr);
        Assert.Contains($"copying path '{_fx.Out["top"]}' from 'file://{holed}'...", ours.Stderr);
        Verifies("ours");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnExtraSubstituterCountsUntilAPlainSettingReplacesTheListAsInNix(bool extraLast)
    {
        string[] plain = ["--option", "substituters", ""];
        string[] extra = ["--option", "extra-substituters", "file://" + _fx.SignedCache];
        string[] settings = [.. extraLast ? plain.Concat(extra) : extra.Concat(plain), "--option", "trusted-public-keys", _fx.PublicKey];
        var theirs = Theirs("nix", settings, Attrs("top"));
        var ours = Ours("ours", settings, Attrs("top"));
        SameAsNix(theirs, ours);
        Assert.Equal(extraLast, ours.Stderr.Contains("copying path", StringComparison.Ordinal));
    }

    [Fact]
    public void SubstituteFalseBuildsEverything()
    {
        string[] settings = [.. Trusting("file://" + _fx.SignedCache), "--option", "substitute", "false"];
        var theirs = Theirs("nix", settings, Attrs("top"));
        var ours = Ours("ours", settings, Attrs("top"));
        SameAsNix(theirs, ours);
        Assert.DoesNotContain("copying", ours.Stderr);
        Assert.Contains("building '", ours.Stderr);
    }

    [Fact]
    public void ImportFromDerivationFetchesWhatEvaluationReads()
    {
        // Reading top's output during evaluation realises it: from the cache, not by building.
        var expr = $"builtins.readFile (import {_fx.Expression}).top";
        string[] Args(string store) => ["--store", _tmp.Sub(store), "--eval", "--read-write-mode", .. BuildScratch.ShFromBusybox,
            .. Trusting("file://" + _fx.SignedCache), "-E", expr];
        var theirs = Tools.Run("nix-instantiate", ["--option", "sandbox", "true", .. Args("nix")], env: Env);
        var ours = Tools.Run(Tools.Nixsharp, ["instantiate", .. Args("ours")], env: Env);
        SameAsNix(theirs, ours);
        Assert.Contains($"copying path '{_fx.Out["top"]}' from 'file://{_fx.SignedCache}'...", ours.Stderr);
        Assert.DoesNotContain("building '", ours.Stderr);
    }

    [Fact]
    public void AnUnreachableCacheIsWarnedAboutOnceForEvaluationAndBuildTogether()
    {
        // One run: import from derivation realises dep, then the build realises top; the cache
        // that cannot be reached is tried once.
        File.WriteAllText(_tmp.Sub("ifd.nix"), $$"""
            let src = import {{_fx.Expression}}; in
            builtins.seq (builtins.readFile src.dep) src.top
            """);
        var ours = Tools.Run(Tools.Nixsharp, ["build", "--store", _tmp.Sub("ours"), "--no-out-link", .. BuildScratch.ShFromBusybox,
            "--option", "substituters", "http://127.0.0.1:1/cache", _tmp.Sub("ifd.nix")], env: Env);
        Assert.True(ours.Code == 0, ours.Stderr);
        Assert.Equal(1, ours.Stderr.Split('\n').Count(l => l.StartsWith("warning: unable to download 'http://127.0.0.1:1/cache/nix-cache-info'", StringComparison.Ordinal)));
        Assert.Contains($"building '", ours.Stderr);
        Assert.Equal(_fx.Out["top"], ours.Out.Trim());
    }

    [Fact]
    public void StoreRealiseFetchesAPlainOutputPathAsNixStoreDoes()
    {
        var settings = Trusting("file://" + _fx.SignedCache);
        RunResult Realise(string tool, string store, params string[] args) => tool == "nix"
            ? Tools.Run("nix-store", new[] { "--store", _tmp.Sub(store), "-r" }.Concat(settings).Concat(args), env: Env)
            : Tools.Run(Tools.Nixsharp, new[] { "store", "realise", "--store", _tmp.Sub(store) }.Concat(settings).Concat(args), env: Env);

        // --dry-run lists and fetches nothing.
        var paths = new[] { _fx.Out["top"], _fx.Out["big"] };
        SameAsNix(Realise("nix", "nix-dry", [.. paths, "--dry-run"]), Realise("ours", "ours-dry", [.. paths, "--dry-run"]));
        Assert.False(IsValid("ours-dry", _fx.Out["top"]));

        var theirs = Realise("nix", "nix", paths);
        var ours = Realise("ours", "ours", paths);
        SameAsNix(theirs, ours);
        Assert.Equal($"{_fx.Out["top"]}\n{_fx.Out["big"]}\n", ours.Out);
        Assert.True(IsValid("ours", _fx.Out["dep"]));
        Verifies("ours");

        // A path no substituter has: listed as unknown; what can be fetched still is; then it fails.
        var unknown = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-unknown";
        var theirsUnknown = Realise("nix", "nix-unknown", unknown, _fx.Out["noref"]);
        var oursUnknown = Realise("ours", "ours-unknown", unknown, _fx.Out["noref"]);
        SameAsNix(theirsUnknown, oursUnknown);
        Assert.EndsWith($"error: build of '{unknown}' failed\n", oursUnknown.Stderr);
        Assert.True(IsValid("ours-unknown", _fx.Out["noref"]));
    }
}

public class MissingReportTests
{
    [Theory]
    // Computed in single precision and printed like C's "%.2f": the exact binary value rounded half
    // to even (0.125 MiB gives 0.12, 0.375 MiB gives 0.38), as `printf '%.2f'` prints them.
    [InlineData(0L, "0.00")]
    [InlineData(176L, "0.00")]
    [InlineData(131072L, "0.12")]
    [InlineData(393216L, "0.38")]
    [InlineData(5242L, "0.00")]
    [InlineData(5243L, "0.01")]
    [InlineData(1992294L, "1.90")]
    [InlineData(1048576L * 1000, "1000.00")]
    [InlineData(123456789012L, "117737.57")]
    public void SizesArePrintedAsNixPrintsThem(long bytes, string expected) =>
        Assert.Equal(expected, Nixsharp.Cli.Commands.Build.MissingReport.MiB(bytes));
}
