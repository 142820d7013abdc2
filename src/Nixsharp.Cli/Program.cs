// Entry point: runs the command on a thread with a large stack, so deep (but finite) Nix
// recursion evaluates instead of overflowing; runaway recursion becomes a clean error.
namespace Nixsharp.Cli;

public static class Program
{
    private const int StackSize = 64 * 1024 * 1024;

    public static int Main(string[] args)
    {
        var io = CliIo.FromProcess();
        // Run through a link named nix-instantiate, nixsharp is that command (a multi-call binary).
        var argv0 = Environment.GetCommandLineArgs()[0];
        if (Path.GetFileName(argv0) == "nix-instantiate")
        {
            io = new CliIo(io.Stdout, io.Stderr, io.GetEnv, io.WorkingDirectory, io.Stdin) { OwnsProcess = true, InstantiateName = argv0 };
            args = ["instantiate", .. args];
        }
        int rc = 1;
        var t = new Thread(() => rc = Cli.Run(args, io), StackSize);
        t.Start();
        t.Join();
        io.Stdout.Flush();
        if (Environment.GetEnvironmentVariable("NIXSHARP_GC_STATS") is not null)
            io.Err($"gc: gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() >> 20} MiB, " +
                $"paused {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms{LastGc()}\n");
        io.Stderr.Flush();
        return rc;
    }

    /// <summary>What the last collection did, for NIXSHARP_GC_STATS.</summary>
    private static string LastGc()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        if (info.Index == 0) return "";
        return $"; last: gen{info.Generation}{(info.Compacted ? " compacting" : "")}{(info.Concurrent ? " background" : "")}, " +
            $"promoted {info.PromotedBytes >> 20} MiB, heap {info.HeapSizeBytes >> 20} MiB";
    }
}
