// --check, side by side with nix-build 2.8: a derivation whose outputs are valid is built again
// (in the sandbox, never touching the valid outputs) and compared; a difference fails with Nix's
// message and exit status 104, and with --keep-failed the new output is kept as OUT.check; a
// derivation that is not valid cannot be checked (exit 1). The check's output is its new log.
namespace Nixsharp.Cli.Tests;

using Xunit;

public class BuildCheckTests
{
    private const string Derivations = """
          same = mk "same" "echo same-log; echo same > $out";
          random = mk "random" "echo building; cat /proc/sys/kernel/random/uuid > $out";
          random-log = mk "random-log" "cat /proc/sys/kernel/random/uuid; echo same > $out";
          two = mkWith "two" { outputs = [ "out" "dev" ]; } "cat /proc/sys/kernel/random/uuid > $dev; echo same > $out";
          uses-random = mk "uses-random" "echo using; cat ${random} > $out";
        """;

    /// <summary>nix-build 2.8 on its own chroot store, its build directories in a TMPDIR of its own.</summary>
    private static RunResult NixBuild(BuildScratch s, string root, params string[] args)
    {
        Directory.CreateDirectory(NixTmp(s));
        return Tools.Run("nix-build", new[] { "--store", root, "--option", "substituters", "", "--no-out-link" }
            .Concat(BuildScratch.ShFromBusybox).Concat(args), cwd: s.Dir.Path, env: new Dictionary<string, string> { ["TMPDIR"] = NixTmp(s) });
    }

    private static string NixTmp(BuildScratch s) => s.Dir.Sub("nix-tmp");

    /// <summary>Standard error with the store's root, TMPDIR and the uuids builders print made neutral.</summary>
    private static string Neutral(string stderr, string root, string tmp) =>
        System.Text.RegularExpressions.Regex.Replace(stderr.Replace(tmp, "TMP").Replace(root, "ROOT"), "[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "UUID");

    [Fact]
    public void CheckRebuildsAndComparesAsNixDoes()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write(Derivations);
        var nixRoot = s.Dir.Sub("nix");
        // Each step runs on both stores in turn; the first ones check what is not valid yet.
        var steps = new[]
        {
            new[] { "-A", "random", "--check" },
            new[] { "-A", "same" }, new[] { "-A", "same", "--check" },
            new[] { "-A", "random" }, new[] { "-A", "random", "--check" }, new[] { "-A", "random", "--check", "--keep-failed" },
            new[] { "-A", "random-log" }, new[] { "-A", "random-log", "--check" },
            new[] { "-A", "two.out" }, new[] { "-A", "two.out", "--check" },
            // Only the requested derivation is checked: its input (valid) is not built again.
            new[] { "-A", "uses-random" }, new[] { "-A", "uses-random", "--check" },
            new[] { "-A", "same", "-A", "random", "--check", "--keep-going" },
        };
        foreach (var c in steps)
        {
            var theirs = NixBuild(s, nixRoot, new[] { file }.Concat(c).ToArray());
            var ours = s.Build(new[] { file }.Concat(c).ToArray());
            var what = string.Join(' ', c);
            Assert.True(theirs.Code == ours.Code, $"{what}: nix-build exited {theirs.Code}, nixsharp {ours.Code}\n{theirs.Stderr}\n---\n{ours.Stderr}");
            Assert.Equal(Neutral(theirs.Stderr, nixRoot, NixTmp(s)), Neutral(ours.Stderr, s.Store.Root, s.Tmp));
            Assert.Equal(theirs.Out, ours.Out);
        }

        // The valid output stayed as it was (and valid); the differing rebuild sits beside it as .check.
        var randomOut = s.BuildOk(file, "-A", "random");
        var kept = s.Store.Real(randomOut) + ".check";
        Assert.True(File.Exists(kept));
        Assert.NotEqual(s.Read(randomOut), File.ReadAllText(kept));
        Assert.Matches("^[0-9a-f-]{36}\n$", File.ReadAllText(kept));
        Assert.True(s.Store.IsValid(randomOut));
        Assert.DoesNotContain(s.Store.ValidPaths(), p => p.EndsWith(".check", StringComparison.Ordinal));
        s.Store.AssertVerifies("after checks");
        // --keep-failed also kept the build directory, as the note says; nothing else is left.
        var keptDir = Directory.GetDirectories(s.Tmp).Single();
        Assert.Equal("nix-build-random.drv-0", Path.GetFileName(keptDir));
        Directory.Delete(keptDir, recursive: true);
        s.AssertNoLeftovers();

        // The check's log replaced the build's: its uuid is not the one the first build logged.
        var drv = Tools.Ns("instantiate", "--store", s.Store.Root, "-A", "random-log", file).Out.Trim();
        var before = Tools.Ns("log", "--store", s.Store.Root, drv).Out;
        Assert.Equal(0, s.Build(file, "-A", "random-log", "--check").Code);
        Assert.NotEqual(before, Tools.Run("nix-store", new[] { "--store", s.Store.Root, "-l", drv }).Out);

        // --rebuild (the newer `nix build`'s name) is the same as --check, and so is store realise --check.
        Assert.Equal(104, s.Build(file, "-A", "random", "--rebuild").Code);
        var realise = Tools.Run(Tools.Nixsharp, new[] { "store", "realise", "--store", s.Store.Root, "--check",
            Tools.Ns("instantiate", "--store", s.Store.Root, "-A", "random", file).Out.Trim() }.Concat(BuildScratch.ShFromBusybox), env: s.Env);
        Assert.Equal(104, realise.Code);
        Assert.Contains("may not be deterministic", realise.Stderr);
    }

    [Fact]
    public void WithoutTheSandboxACheckIsRefusedClearly()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        File.WriteAllText(s.Dir.Sub("default.nix"), """
            derivation { name = "plain"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo hi > $out" ]; }
            """);
        var env = BuildLogTests.UnsandboxedStoreEnv(s);
        RunResult Build(params string[] extra) => Tools.Run(Tools.Nixsharp,
            new[] { "build", "--no-sandbox", "--no-out-link", s.Dir.Sub("default.nix") }.Concat(extra), cwd: s.Dir.Path, env: env);
        var built = Build();
        Assert.True(built.Code == 0, built.Stderr);
        var outPath = built.Out.Trim();
        var r = Build("--check");
        Assert.Equal(1, r.Code);
        Assert.Matches("error: cannot check '[^']*-plain.drv' without the sandbox: .*check it with '--option sandbox true'", r.Stderr);
        Assert.Equal("hi\n", File.ReadAllText(outPath));
    }

    [Fact]
    public void AFailedCheckBuildIsABuildFailure()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write("""  flaky = mk "flaky" "echo try; if [ -e /control/fail ]; then exit 1; fi; echo ok > $out";""");
        var control = s.Dir.Sub("control");
        Directory.CreateDirectory(control);
        var sandbox = new[] { "--option", "sandbox-paths", $"/bin/sh=/bin/busybox /control={control}" };
        var outPath = s.BuildOk(new[] { file, "-A", "flaky" }.Concat(sandbox).ToArray());
        File.WriteAllText(Path.Combine(control, "fail"), "");
        var r = s.Build(new[] { file, "-A", "flaky", "--check" }.Concat(sandbox).ToArray());
        Assert.Equal(100, r.Code);
        Assert.Contains("checking outputs of '", r.Stderr);
        Assert.Contains("error: builder for '", r.Stderr);
        // The valid output is untouched.
        Assert.True(s.Store.IsValid(outPath));
        Assert.Equal("ok\n", s.Read(outPath));
        s.AssertNoLeftovers();
    }
}
