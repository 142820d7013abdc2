// Failed builds: the same error messages and exit statuses as nix-build 2.8 (a failing builder,
// a missing output, a fixed-output hash mismatch, a failed dependency, forbidden references), and
// nothing of them registered or left behind; a build killed with SIGKILL leaves nothing valid and
// a second run finishes it.
namespace Nixsharp.Cli.Tests;

using System.Diagnostics;
using Xunit;

public class BuildFailureTests
{
    private const string Failing = """
          fail = mk "fail" "echo to-stdout; echo to-stderr >&2; exit 3";
          no-output = mk "no-output" "echo nothing";
          missing-dev = mkWith "missing-dev" { outputs = [ "out" "dev" ]; } "echo a > $out";
          fod-mismatch = mkWith "fod-mismatch" { outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; } "echo a > $out";
          fod-fails = mkWith "fod-fails" { outputHashAlgo = "sha256"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; } "exit 2";
          good = mk "good" "echo good > $out";
          dependent = mk "dependent" "echo ${fail} ${good} > $out";
          dependent2 = mk "dependent2" "echo ${dependent} > $out";
          not-allowed = mkWith "not-allowed" { allowedReferences = [ ]; } "echo ${good} > $out";
          disallowed = mkWith "disallowed" { disallowedRequisites = [ good ]; } "echo ${good} > $out";
          fod-executable = mkWith "fod-executable" { outputHashAlgo = "sha256"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; } "echo a > $out; chmod +x $out";
          outputs-cycle = mkWith "outputs-cycle" { outputs = [ "out" "dev" ]; } "echo $dev > $out; echo $out > $dev";
          world-writable = mk "world-writable" "mkdir $out; chmod 777 $out";
        """;

    /// <summary>The error lines (with their indented continuations) a run printed, with the store's root made neutral.</summary>
    private static string Errors(string stderr, string root) =>
        string.Join('\n', stderr.Replace(root, "ROOT").Split('\n')
            .SkipWhile(l => !l.StartsWith("error:", StringComparison.Ordinal))
            .Where(l => l.StartsWith("error:", StringComparison.Ordinal) || l.StartsWith("  ", StringComparison.Ordinal)));

    [Fact]
    public void FailuresReportWhatNixReportsAndRegisterNothing()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write(Failing);
        var nixRoot = s.Dir.Sub("nix");
        var cases = new[]
        {
            new[] { "-A", "fail" }, new[] { "-A", "no-output" }, new[] { "-A", "missing-dev" }, new[] { "-A", "fod-mismatch" },
            new[] { "-A", "fod-fails" }, new[] { "-A", "dependent2" }, new[] { "-A", "not-allowed" }, new[] { "-A", "disallowed" },
            new[] { "-A", "fod-executable" }, new[] { "-A", "outputs-cycle" }, new[] { "-A", "world-writable" },
            new[] { "-A", "fail", "-A", "fod-fails", "--keep-going" }, new[] { "-A", "dependent2", "--keep-going" },
        };
        foreach (var c in cases)
        {
            var theirs = Tools.Run("nix-build", new[] { "--store", nixRoot, "--option", "substituters", "", "--option", "sandbox", "true",
                "--no-out-link", file }.Concat(BuildScratch.ShFromBusybox).Concat(c));
            var ours = s.Build(new[] { file }.Concat(c).ToArray());
            var what = string.Join(' ', c);
            Assert.True(theirs.Code == ours.Code, $"{what}: nix-build exited {theirs.Code}, nixsharp {ours.Code}\n{theirs.Stderr}\n---\n{ours.Stderr}");
            Assert.True(theirs.Code != 0, what);
            Assert.Equal(Errors(theirs.Stderr, nixRoot), Errors(ours.Stderr, s.Store.Root));
            if (c.Contains("fail"))
            {
                // The builder's output (both its streams) is passed on.
                Assert.Contains("to-stdout\n", ours.Stderr);
                Assert.Contains("to-stderr\n", ours.Stderr);
            }
        }
        // Only the one good derivation (built for the dependents with --keep-going) became valid.
        var outputs = s.Store.ValidPaths().Where(p => !p.EndsWith(".drv", StringComparison.Ordinal)).ToList();
        Assert.Single(outputs);
        Assert.EndsWith("-good", outputs[0]);
        s.AssertNoLeftovers();
        s.Store.AssertVerifies("after failed builds");
    }

    [Fact]
    public void KeepFailedKeepsTheBuildDirectory()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        s.Write("""  fail = mk "fail" "echo left > $TMPDIR/trace; exit 1";""");
        var r = s.Build("-A", "fail", "--keep-failed");
        Assert.Equal(100, r.Code);
        var kept = Directory.GetDirectories(s.Tmp).Single();
        Assert.Contains($"note: keeping build directory '{kept}'", r.Stderr);
        Assert.Equal("left\n", File.ReadAllText(Path.Combine(kept, "trace")));
        Assert.StartsWith("nix-build-fail.drv-", Path.GetFileName(kept));
    }

    [Fact]
    public void ABuildKilledWithSigkillLeavesNothingValidAndARerunFinishesIt()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        // The builder waits while /control/slow exists on the host (a sandbox path, so the
        // derivation is the same for both runs).
        var control = s.Dir.Sub("control");
        Directory.CreateDirectory(control);
        File.WriteAllText(Path.Combine(control, "slow"), "");
        s.Write("""
              slow = mk "slow" "mkdir $out; echo partial > $out/a; while [ -e /control/slow ]; do sleep 0.1; done; echo done > $out/b";
            """);
        var instantiated = Tools.Ns("instantiate", "--store", s.Store.Root, "-A", "slow", s.Dir.Sub("default.nix"));
        var drv = instantiated.Out.Trim();
        var outPath = Tools.Ns("store", "query", "--outputs", "--store", s.Store.Root, drv).Out.Trim();
        var partial = s.Store.Real(drv) + ".chroot" + outPath + "/a";

        var args = new[] { "build", "--store", s.Store.Root, "--no-out-link", "-A", "slow", s.Dir.Sub("default.nix"),
            "--option", "sandbox-paths", $"/bin/sh=/bin/busybox /control={control}" };
        using (var p = RunningProcess.Start(Tools.Nixsharp, args, env: s.Env))
        {
            var waited = Stopwatch.StartNew();
            while (!File.Exists(partial) && waited.ElapsedMilliseconds < 60_000 && !p.HasExited) Thread.Sleep(20);
            Assert.True(File.Exists(partial), "the builder never started:\n" + p.StderrSoFar);
            p.Kill();
        }
        Assert.False(s.Store.IsValid(outPath));
        // The builder died with nixsharp: nothing runs the loop any more.
        var gone = Stopwatch.StartNew();
        while (BuilderRunning(control) && gone.ElapsedMilliseconds < 10_000) Thread.Sleep(50);
        Assert.False(BuilderRunning(control), "the builder outlived nixsharp");

        File.Delete(Path.Combine(control, "slow"));
        var r = Tools.Run(Tools.Nixsharp, args, env: s.Env);
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal(outPath, r.Out.Trim());
        Assert.Equal("partial\n", s.Read(outPath + "/a"));
        Assert.Equal("done\n", s.Read(outPath + "/b"));
        s.Store.AssertVerifies("after a killed build and its rerun");
        // The killed run's build directory stays behind (as Nix's would); the rerun used a fresh one.
        Assert.Single(Directory.GetDirectories(s.Tmp));
    }

    /// <summary>Whether a bwrap process that mounts this test's control directory is still alive.</summary>
    private static bool BuilderRunning(string control)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains(control, StringComparison.Ordinal) && cmdline.Contains("bwrap", StringComparison.Ordinal)) return true;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return false;
    }
}
