// Scheduling and the command line: --max-jobs runs builders in parallel; two nixsharp processes
// asking for the same derivation build it once; --dry-run, result links and their GC roots, and
// `store realise` print and name things as nix-build and nix-store --realise do.
namespace Nixsharp.Cli.Tests;

using System.Diagnostics;
using Xunit;

public class BuildSchedulingTests
{
    [Fact]
    public void TwoJobsAreClearlyFasterThanOne()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        s.Write("""
              sleepers = salt: builtins.genList (i: mk "sleep-${salt}-${toString i}" "sleep 0.2; echo ${toString i} > $out") 20;
              one = sleepers "one";
              two = sleepers "two";
            """);
        var serial = Stopwatch.StartNew();
        var a = s.BuildOk("-A", "one", "--max-jobs", "1");
        serial.Stop();
        var parallel = Stopwatch.StartNew();
        var b = s.BuildOk("-A", "two", "--max-jobs", "2");
        parallel.Stop();
        Assert.Equal(20, a.Split('\n').Length);
        Assert.Equal(20, b.Split('\n').Length);
        // 20 × 0.2 s of sleeping: serially at least 4 s; two at a time about half of that.
        Assert.True(serial.Elapsed.TotalSeconds >= 4.0, $"serial run took only {serial.Elapsed.TotalSeconds:F2} s");
        Assert.True(parallel.Elapsed < serial.Elapsed * 0.75,
            $"--max-jobs 2 took {parallel.Elapsed.TotalSeconds:F2} s, --max-jobs 1 {serial.Elapsed.TotalSeconds:F2} s");
    }

    [Fact]
    public void TwoProcessesAskingForTheSameDerivationBuildItOnce()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        s.Write("""  once = mk "once" "sleep 1; echo $RANDOM$RANDOM > $out";""");
        var args = new[] { "build", "--store", s.Store.Root, "--no-out-link", "-A", "once", s.Dir.Sub("default.nix") }.Concat(BuildScratch.ShFromBusybox).ToArray();
        using var p1 = RunningProcess.Start(Tools.Nixsharp, args, env: s.Env);
        using var p2 = RunningProcess.Start(Tools.Nixsharp, args, env: s.Env);
        var r1 = p1.Finish();
        var r2 = p2.Finish();
        Assert.True(r1.Code == 0 && r2.Code == 0, r1.Stderr + r2.Stderr);
        Assert.Equal(r1.Out, r2.Out);
        var builds = (r1.Stderr + r2.Stderr).Split('\n').Count(l => l.StartsWith("building '", StringComparison.Ordinal));
        Assert.Equal(1, builds);
        Assert.Single(s.Store.ValidPaths(), p => p.EndsWith("-once", StringComparison.Ordinal));
    }

    [Fact]
    public void GarbageCollectionDuringABuildKeepsItsInputsAndItsOutput()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        var control = s.Dir.Sub("control");
        Directory.CreateDirectory(control);
        File.WriteAllText(Path.Combine(control, "wait"), "");
        s.Write("""
              input = mk "input" "echo input > $out";
              slow = mk "slow" "mkdir $out; echo started > $out/a; while [ -e /control/wait ]; do sleep 0.05; done; cat ${input} > $out/b";
            """);
        // The input is valid but nothing roots it once its own build is over.
        var input = s.BuildOk("-A", "input");
        using var p = RunningProcess.Start(Tools.Nixsharp, new[] { "build", "--store", s.Store.Root, "--no-out-link", "-A", "slow", s.Dir.Sub("default.nix"),
            "--option", "sandbox-paths", $"/bin/sh=/bin/busybox /control={control}" }, env: s.Env);
        var drv = Tools.Ns("instantiate", "--store", s.Store.Root, "-A", "slow", s.Dir.Sub("default.nix")).Out.Trim();
        var outPath = Tools.Ns("store", "query", "--outputs", "--store", s.Store.Root, drv).Out.Trim();
        var started = s.Store.Real(drv) + ".chroot" + outPath + "/a";
        var waited = Stopwatch.StartNew();
        while (!File.Exists(started) && waited.ElapsedMilliseconds < 60_000 && !p.HasExited) Thread.Sleep(20);
        Assert.True(File.Exists(started), "the builder never started:\n" + p.StderrSoFar);

        var gc = Tools.Ns("store", "gc", "--store", s.Store.Root);
        Assert.Equal(0, gc.Code);
        Assert.True(s.Store.IsValid(input), "the running build's input was collected");
        Assert.True(File.Exists(started), "the running build's sandbox was collected");

        File.Delete(Path.Combine(control, "wait"));
        var r = p.Finish();
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal("input\n", s.Read(outPath + "/b"));
        s.Store.AssertVerifies("after a collection during a build");
    }

    [Fact]
    public void AMissingOutputIsRebuiltWithoutTouchingTheValidOnes()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        s.Write("""  two = mkWith "two" { outputs = [ "out" "dev" ]; } "echo $RANDOM$RANDOM > $out; echo $RANDOM$RANDOM > $dev";""");
        var drv = Tools.Ns("instantiate", "--store", s.Store.Root, "-A", "two", s.Dir.Sub("default.nix")).Out.Trim();
        var first = Tools.Ns(new[] { "store", "realise", "--store", s.Store.Root, drv }.Concat(BuildScratch.ShFromBusybox).ToArray());
        Assert.True(first.Code == 0, first.Stderr);
        var paths = first.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var dev = paths.Single(p => p.EndsWith("-dev", StringComparison.Ordinal));
        var outPath = paths.Single(p => !p.EndsWith("-dev", StringComparison.Ordinal));
        var devContents = s.Read(dev);
        Assert.Equal(0, Tools.Ns("store", "delete", "--store", s.Store.Root, outPath).Code);
        Assert.False(s.Store.IsValid(outPath));

        // Asking for dev alone builds nothing; asking for out rebuilds and registers out only.
        var devOnly = Tools.Ns(new[] { "store", "realise", "--store", s.Store.Root, drv + "!dev" }.Concat(BuildScratch.ShFromBusybox).ToArray());
        Assert.Equal(dev + "\n", devOnly.Out);
        Assert.DoesNotContain("building", devOnly.Stderr);
        var again = Tools.Ns(new[] { "store", "realise", "--store", s.Store.Root, drv }.Concat(BuildScratch.ShFromBusybox).ToArray());
        Assert.True(again.Code == 0, again.Stderr);
        Assert.True(s.Store.IsValid(outPath));
        Assert.Equal(devContents, s.Read(dev));
        s.Store.AssertVerifies("after rebuilding one output");
    }

    [Fact]
    public void DryRunResultLinksAndRealiseMatchNix()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write("""
              lib = mk "lib" "echo lib > $out";
              app = mkWith "app" { outputs = [ "out" "dev" "doc" ]; } "echo ${lib} > $out; echo dev > $dev; echo doc > $doc";
              other = mk "other" "echo ${app.dev} > $out";
            """);
        var nixRoot = s.Dir.Sub("nix");
        string[] Nix(string tool, params string[] args) => new[] { "--store", nixRoot, "--option", "substituters", "", "--option", "sandbox", "true" }
            .Concat(BuildScratch.ShFromBusybox).Concat(args).ToArray();
        var targets = new[] { "-A", "other", "-A", "app.dev", "-A", "app", "-A", "app.doc", "-A", "lib" };

        // --dry-run: the same list of derivations, in the same order, and nothing built.
        var theirDry = Tools.Run("nix-build", Nix("nix-build", new[] { file, "--dry-run" }.Concat(targets).ToArray()));
        var ourDry = s.Build(new[] { file, "--dry-run" }.Concat(targets).ToArray());
        Assert.Equal(0, ourDry.Code);
        Assert.Equal(theirDry.Stderr.Replace(nixRoot, ""), ourDry.Stderr);
        Assert.Contains("these 3 derivations will be built:", ourDry.Stderr);
        Assert.DoesNotContain(s.Store.ValidPaths(), p => !p.EndsWith(".drv", StringComparison.Ordinal));

        // Result links: result, result-dev, result-2, result-2-doc, ... as nix-build names them.
        var theirDir = s.Dir.Sub("theirs");
        var ourDir = s.Dir.Sub("ours");
        Directory.CreateDirectory(theirDir);
        Directory.CreateDirectory(ourDir);
        var theirs = Tools.Run("nix-build", Nix("nix-build", new[] { file }.Concat(targets).ToArray()), cwd: theirDir);
        Assert.True(theirs.Code == 0, theirs.Stderr);
        var ours = Tools.Run(Tools.Nixsharp, new[] { "build", "--store", s.Store.Root, file }.Concat(BuildScratch.ShFromBusybox).Concat(targets), cwd: ourDir);
        Assert.True(ours.Code == 0, ours.Stderr);
        Assert.Equal(theirs.Out, ours.Out);
        string Links(string dir) => string.Join('\n', Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal)
            .Select(l => Path.GetFileName(l) + " -> " + new FileInfo(l).LinkTarget));
        Assert.Equal(Links(theirDir), Links(ourDir));
        // Each link is an indirect GC root: the outputs survive a collection.
        var gc = Tools.Ns("store", "gc", "--store", s.Store.Root);
        Assert.Equal(0, gc.Code);
        foreach (var l in Directory.EnumerateFileSystemEntries(ourDir))
            Assert.True(s.Store.IsValid(new FileInfo(l).LinkTarget!), l);

        // store realise prints each argument's outputs, sorted, like nix-store --realise.
        var drv = Tools.Ns("instantiate", "--store", s.Store.Root, "-A", "app", file).Out.Trim();
        var nixDrv = Tools.Run("nix-instantiate", new[] { "--store", nixRoot, "-A", "app", file }).Out.Trim();
        Assert.Equal(nixDrv, drv);
        var theirRealise = Tools.Run("nix-store", Nix("nix-store", "--realise", drv, drv + "!dev,doc"));
        var ourRealise = Tools.Ns(new[] { "store", "realise", "--store", s.Store.Root, drv, drv + "!dev,doc" }.Concat(BuildScratch.ShFromBusybox).ToArray());
        Assert.Equal(0, ourRealise.Code);
        Assert.Equal(theirRealise.Out, ourRealise.Out);
        Assert.Contains("warning: you did not specify '--add-root'; the result might be removed by the garbage collector", ourRealise.Stderr);
    }
}
