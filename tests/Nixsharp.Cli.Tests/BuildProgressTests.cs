// What a person at a terminal sees while building: a status line under the log with done/total
// counts, what is building and its last line; and plain lines only when output is redirected.
namespace Nixsharp.Cli.Tests;

using Nixsharp.Builder;
using Nixsharp.Cli.Commands.Build;
using Xunit;

public sealed class BuildProgressTests
{
    private const string EraseLine = "\r\u001b[K";

    private static string ChainOfThree(BuildScratch s) => s.Write(
        "a = mk \"progress-a\" \"echo first line of a; echo last line of a; echo a > $out\";\n" +
        "b = mkWith \"progress-b\" { inherit a; } \"echo building b from $a; echo b > $out\";\n" +
        "c = mkWith \"progress-c\" { inherit b; } \"echo c > $out\";");

    [Fact]
    public void ATerminalStatusLineCountsWhatIsBuiltAndIsGoneAtTheEnd()
    {
        Assert.True(BuildScratch.CanRun, "bubblewrap and busybox-static are needed");
        using var s = new BuildScratch();
        ChainOfThree(s);
        var r = s.Build("-A", "c", "--log-format", "bar-with-logs");
        Assert.True(r.Code == 0, r.Stderr);

        // The status line is redrawn in place: every one starts by erasing the line.
        var statuses = r.Stderr.Split(EraseLine).Select(p => p.Split('\n')[0]).Where(p => p.StartsWith('[')).ToList();
        Assert.Contains("[0/3 built]", statuses);
        Assert.Contains(statuses, x => x.StartsWith("[0/3 built, 1 running] building progress-a", StringComparison.Ordinal));
        Assert.Contains("[0/3 built, 1 running] building progress-a: last line of a", statuses);
        Assert.Contains(statuses, x => x.StartsWith("[1/3 built, 1 running] building progress-b", StringComparison.Ordinal));
        Assert.Contains("[3/3 built]", statuses);
        // Log lines still scroll above it, whole, as in a plain log.
        Assert.Contains("\nfirst line of a\n", r.Stderr.Replace(EraseLine, "\n"));
        Assert.Contains("building '", r.Stderr);
        // The run ends with the line erased, so what follows starts clean.
        Assert.EndsWith(EraseLine, r.Stderr);
        Assert.EndsWith("-progress-c\n", r.Out);
    }

    [Fact]
    public void BarAloneKeepsBuilderLinesOffTheScreenButInTheStatus()
    {
        Assert.True(BuildScratch.CanRun, "bubblewrap and busybox-static are needed");
        using var s = new BuildScratch();
        ChainOfThree(s);
        var r = s.Build("-A", "b", "--log-format", "bar");
        Assert.True(r.Code == 0, r.Stderr);
        var lines = r.Stderr.Replace(EraseLine, "\n").Split('\n');
        Assert.DoesNotContain("first line of a", lines);
        Assert.Contains(r.Stderr.Split(EraseLine), x => x.StartsWith("[0/2 built, 1 running] building progress-a: first line of a", StringComparison.Ordinal));
    }

    [Fact]
    public void RedirectedOutputGetsPlainLinesOnly()
    {
        Assert.True(BuildScratch.CanRun, "bubblewrap and busybox-static are needed");
        using var s = new BuildScratch();
        ChainOfThree(s);
        var r = s.Build("-A", "c");
        Assert.True(r.Code == 0, r.Stderr);
        Assert.DoesNotContain("\u001b", r.Stderr);
        Assert.DoesNotContain("\r", r.Stderr);
        Assert.Contains("last line of a\n", r.Stderr);
    }

    [Fact]
    public void FailuresAreCountedAndTheLineIsCutToTheTerminalWidth()
    {
        var sink = new MemoryStream();
        var status = new BuildStatusLine(sink, () => 40);
        status.Planned(3);
        status.Started("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-one.drv");
        status.Started("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-two.drv");
        status.LastLine("compiling something rather long that will not fit");
        Assert.Equal("[0/3 built, 2 running] building two (+1): compiling something rather long that will not fit",
            status.Render(1000));
        Assert.Equal(39, status.Render(39).Length);
        Assert.EndsWith("…", status.Render(39));
        status.Ended("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-one.drv", BuildStatus.PermanentFailure);
        status.Ended("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-two.drv", BuildStatus.Built);
        status.Ended("/nix/store/cccccccccccccccccccccccccccccccc-three.drv", BuildStatus.DependencyFailed);
        Assert.Equal("[1/3 built, 2 failed]", status.Render(1000));
    }
}
