// Build logs and limits on builders, side by side with nix-build 2.8: logs stored where Nix keeps
// them (bzip2 or plain) and read both ways (`nix-store -l` reads nixsharp's, `nixsharp log` reads
// Nix's); builder output on standard error as Nix prints it, and with -Q the last lines in the
// error instead; --timeout, --max-silent-time and max-build-log-size kill builders with Nix's
// messages and exit statuses.
namespace Nixsharp.Cli.Tests;

using System.Diagnostics;
using Xunit;

public class BuildLogTests
{
    private const string Derivations = """
          lines = mk "lines" "echo first; printf 'abc\\rX\\n\\ttab  \\n'; printf 'no newline'; echo x > $out";
          other = mk "other" "echo from-nix; echo y > $out";
          many = mk "many" "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i; done; printf 'partial'; exit 1";
          escapes = mk "escapes" "printf '\\033[31mred\\033[0m plain \\033]0;title\\007 x\\033[2Ky\\n'; printf 'caf\\303\\251\\n\\n  indented  \\n'; exit 2";
          silent-fail = mk "silent-fail" "exit 2";
          sleepy = mk "sleepy" "echo start; sleep 100 & sleep 100; echo x > $out";
          chatty = mk "chatty" "echo start; while true; do echo tick; sleep 0.2; done";
          big = mk "big" "i=0; while [ $i -lt 2000 ]; do echo 0123456789012345678901234567890123456789; i=$((i+1)); done; echo x > $out";
        """;

    private const string LinesOutput = "first\nabc\rX\n\ttab  \nno newline";

    /// <summary>nix-build 2.8 on its own chroot store, with the same sandbox and TMPDIR as nixsharp's runs.</summary>
    private static RunResult NixBuild(BuildScratch s, string root, params string[] args) =>
        Tools.Run("nix-build", new[] { "--store", root, "--option", "substituters", "", "--no-out-link" }
            .Concat(BuildScratch.ShFromBusybox).Concat(args), cwd: s.Dir.Path, env: s.Env);

    /// <summary>Standard error with the store's root made neutral, and Nix's hint at `nix log` as nixsharp words it.</summary>
    private static string Neutral(string stderr, string root) =>
        stderr.Replace(root, "ROOT").Replace("run 'nix log ", "run 'nixsharp log ");

    private static string DrvOf(BuildScratch s, string attr) =>
        Tools.Ns("instantiate", "--store", s.Store.Root, "-A", attr, s.Dir.Sub("default.nix")).Out.Trim();

    private static string LogFile(string root, string drvPath)
    {
        var baseName = Path.GetFileName(drvPath);
        return $"{root}/nix/var/log/nix/drvs/{baseName[..2]}/{baseName[2..]}";
    }

    [Fact]
    public void LogsAreKeptWhereNixKeepsThemAndEachReadsTheOthers()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write(Derivations);
        var root = s.Store.Root;

        var outPath = s.BuildOk("-A", "lines", file);
        var drv = DrvOf(s, "lines");
        // bzip2-compressed, under drvs/XX/ as Nix 2.8 writes it; the raw bytes the builder wrote.
        var logFile = LogFile(root, drv) + ".bz2";
        Assert.True(File.Exists(logFile), "no log at " + logFile);
        Assert.Equal("BZh", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(logFile), 0, 3));
        Assert.False(File.Exists(LogFile(root, drv)));
        foreach (var path in new[] { drv, outPath })
        {
            var theirs = Tools.Run("nix-store", new[] { "--store", root, "-l", path });
            Assert.True(theirs.Code == 0, theirs.Stderr);
            Assert.Equal(LinesOutput, theirs.Out);
            Assert.Equal(LinesOutput, Tools.Ns("log", "--store", root, path).Out);
            Assert.Equal(LinesOutput, Tools.Ns("store", "read-log", "--store", root, path).Out);
        }

        // A log Nix wrote, into the same store, read by nixsharp (through the output's deriver too).
        var nixOut = NixBuild(s, root, "-A", "other", file);
        Assert.True(nixOut.Code == 0, nixOut.Stderr);
        var nixDrv = DrvOf(s, "other");
        Assert.True(File.Exists(LogFile(root, nixDrv) + ".bz2"));
        Assert.Equal("from-nix\n", Tools.Ns("log", "--store", root, nixOut.Out.Trim()).Out);
        Assert.Equal("from-nix\n", Tools.Ns("log", "--store", root, nixDrv).Out);

        // Uncompressed when asked: a plain file, which Nix reads as well (and prefers, as nixsharp does).
        File.Delete(logFile);
        Assert.Equal(0, Tools.Ns("store", "delete", "--store", root, outPath).Code);
        s.BuildOk("-A", "lines", "--option", "compress-build-log", "false", file);
        Assert.True(File.Exists(LogFile(root, drv)));
        Assert.False(File.Exists(LogFile(root, drv) + ".bz2"));
        Assert.Equal(LinesOutput, Tools.Run("nix-store", new[] { "--store", root, "-l", outPath }).Out);
        Assert.Equal(LinesOutput, Tools.Ns("log", "--store", root, outPath).Out);

        // keep-build-log false stores nothing (and leaves no old log behind to be mistaken for this build's).
        Assert.Equal(0, Tools.Ns("store", "delete", "--store", root, outPath).Code);
        File.Delete(LogFile(root, drv));
        s.BuildOk("-A", "lines", "--option", "keep-build-log", "false", file);
        Assert.False(File.Exists(LogFile(root, drv)));
        Assert.False(File.Exists(LogFile(root, drv) + ".bz2"));

        // No log: the same error and status as nix-store -l, for a derivation without one, a path
        // without a deriver, and a path that is not valid.
        var added = Tools.Ns("store", "add", "--store", root, file).Out.Trim();
        foreach (var path in new[] { drv, added, outPath + "-not-there" })
        {
            var theirs = Tools.Run("nix-store", new[] { "--store", root, "-l", path });
            var ours = Tools.Ns("log", "--store", root, path);
            Assert.Equal(1, theirs.Code);
            Assert.Equal(theirs.Code, ours.Code);
            Assert.Equal(theirs.Stderr, ours.Stderr);
            Assert.Equal("", ours.Out);
        }
    }

    [Fact]
    public void BuilderOutputIsShownAsNixShowsItAndQuietBuildsEndErrorsWithTheLastLines()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write(Derivations);
        var nixRoot = s.Dir.Sub("nix");
        var cases = new[]
        {
            new[] { "-A", "lines" }, new[] { "-A", "many" }, new[] { "-A", "escapes" }, new[] { "-A", "silent-fail" },
            new[] { "-A", "many", "-Q" }, new[] { "-A", "escapes", "--no-build-output" }, new[] { "-A", "silent-fail", "-Q" },
            new[] { "-A", "many", "-Q", "--option", "log-lines", "3" },
        };
        foreach (var c in cases)
        {
            var theirs = NixBuild(s, nixRoot, new[] { file }.Concat(c).ToArray());
            var ours = s.Build(new[] { file }.Concat(c).ToArray());
            var what = string.Join(' ', c);
            Assert.True(theirs.Code == ours.Code, $"{what}: nix-build exited {theirs.Code}, nixsharp {ours.Code}\n{theirs.Stderr}\n---\n{ours.Stderr}");
            Assert.Equal(Neutral(theirs.Stderr, nixRoot), Neutral(ours.Stderr, s.Store.Root));
        }
        // Quiet or not, the log has everything.
        Assert.Equal(Tools.Run("nix-store", new[] { "--store", nixRoot, "-l", DrvOf(s, "many") }).Out,
            Tools.Ns("log", "--store", s.Store.Root, DrvOf(s, "many")).Out);
    }

    [Fact]
    public void TimeoutsKillTheWholeBuildWithNixsMessagesAndStatus()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write(Derivations);
        var nixRoot = s.Dir.Sub("nix");
        var cases = new[]
        {
            new[] { "-A", "sleepy", "--timeout", "1" },
            new[] { "-A", "sleepy", "--max-silent-time", "1" },
            new[] { "-A", "sleepy", "--option", "timeout", "1" },
            new[] { "-A", "sleepy", "--option", "max-silent-time", "1" },
            // Output keeps a builder from counting as silent; the overall timeout still ends it.
            new[] { "-A", "chatty", "--max-silent-time", "1", "--timeout", "3" },
        };
        foreach (var c in cases)
        {
            var theirs = NixBuild(s, nixRoot, new[] { file }.Concat(c).ToArray());
            var clock = Stopwatch.StartNew();
            var ours = s.Build(new[] { file }.Concat(c).ToArray());
            var what = string.Join(' ', c);
            // The builder and what it started in the background are gone: their output pipes closed at once.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{what}: took {clock.Elapsed}");
            Assert.Equal(101, theirs.Code);
            Assert.True(theirs.Code == ours.Code, $"{what}: nix-build exited {theirs.Code}, nixsharp {ours.Code}\n{ours.Stderr}");
            // (How many ticks fit in the time varies.)
            Assert.Equal(Neutral(theirs.Stderr, nixRoot).Replace("tick\n", ""), Neutral(ours.Stderr, s.Store.Root).Replace("tick\n", ""));
        }
        // The timed-out builds' output is in their logs; nothing of them became valid or was left behind.
        Assert.Equal("start\n", Tools.Run("nix-store", new[] { "--store", s.Store.Root, "-l", DrvOf(s, "sleepy") }).Out);
        Assert.StartsWith("start\ntick\ntick\n", Tools.Ns("log", "--store", s.Store.Root, DrvOf(s, "chatty")).Out);
        Assert.DoesNotContain(s.Store.ValidPaths(), p => !p.EndsWith(".drv", StringComparison.Ordinal));
        s.AssertNoLeftovers();
    }

    /// <summary>A store of its own (NIX_STORE_DIR and friends) where builds may run unsandboxed.</summary>
    internal static Dictionary<string, string> UnsandboxedStoreEnv(BuildScratch s) => new()
    {
        ["TMPDIR"] = s.Tmp,
        ["NIX_STORE_DIR"] = s.Dir.Sub("plain/store"),
        ["NIX_STATE_DIR"] = s.Dir.Sub("plain/state"),
        ["NIX_LOG_DIR"] = s.Dir.Sub("plain/log"),
    };

    [Fact]
    public void ATimeoutKillsWhatAnUnsandboxedBuilderStarted()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        var marker = s.Dir.Sub("marker");
        File.WriteAllText(s.Dir.Sub("default.nix"), $$"""
            derivation { name = "starts-children"; system = "x86_64-linux"; builder = "/bin/sh";
              args = [ "-c" "echo start; (/bin/busybox sleep 3; /bin/busybox touch {{marker}}) & /bin/busybox sleep 100" ]; }
            """);
        var clock = Stopwatch.StartNew();
        var r = Tools.Run(Tools.Nixsharp, new[] { "build", "--no-sandbox", "--no-out-link", "--timeout", "1", s.Dir.Sub("default.nix") },
            cwd: s.Dir.Path, env: UnsandboxedStoreEnv(s));
        Assert.True(r.Code == 101, r.Stderr);
        Assert.Contains("from .drv file timed out after 1 seconds", r.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        // The background child was killed with the builder: it never gets to touch the marker.
        Thread.Sleep(4000);
        Assert.False(File.Exists(marker), "a process the builder started outlived the timeout");
        var drv = Directory.GetFiles(s.Dir.Sub("plain/store"), "*.drv").Single();
        var log = Tools.Run(Tools.Nixsharp, new[] { "log", drv }, env: UnsandboxedStoreEnv(s));
        Assert.Equal("start\n", log.Out);
    }

    [Fact]
    public void TheLogSizeLimitKillsTheBuildAsNixDoes()
    {
        if (!BuildScratch.CanRun || !Tools.NixInstalled) return;
        using var s = new BuildScratch();
        var file = s.Write(Derivations);
        var nixRoot = s.Dir.Sub("nix");
        var args = new[] { file, "-A", "big", "--option", "max-build-log-size", "1000", "-Q" };
        var theirs = NixBuild(s, nixRoot, args);
        var ours = s.Build(args);
        Assert.Equal(1, theirs.Code);
        Assert.Equal(theirs.Code, ours.Code);
        Assert.Equal(Neutral(theirs.Stderr, nixRoot), Neutral(ours.Stderr, s.Store.Root));
        Assert.Contains("killed after writing more than 1000 bytes of log output", ours.Stderr);
        // The log holds the pieces of output read before the limit was passed (how many depends on
        // how the builder's writes were read, none when the first read passed it), nothing past it.
        var logRead = Tools.Run("nix-store", new[] { "--store", s.Store.Root, "-l", DrvOf(s, "big") });
        Assert.Equal(0, logRead.Code);
        var log = logRead.Out;
        Assert.InRange(log.Length, 0, 1000);
        Assert.StartsWith(log, string.Concat(Enumerable.Repeat("0123456789012345678901234567890123456789\n", 2000)));
        Assert.DoesNotContain(s.Store.ValidPaths(), p => !p.EndsWith(".drv", StringComparison.Ordinal));
        // Without the limit (0 means none) it builds.
        s.BuildOk(file, "-A", "big", "--option", "max-build-log-size", "0", "-Q");
        s.AssertNoLeftovers();
    }
}
