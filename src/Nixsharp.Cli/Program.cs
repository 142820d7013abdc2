// Entry point: runs the command on a thread with a large stack, so deep (but finite) Nix
// recursion evaluates instead of overflowing; runaway recursion becomes a clean error.
namespace Nixsharp.Cli;

public static class Program
{
    private const int StackSize = 64 * 1024 * 1024;

    public static int Main(string[] args)
    {
        NativeMethods.HonourNixCaBundle();
        var io = CliIo.FromProcess();
        // Run through a link named nix-instantiate, nixsharp is that command (a multi-call binary).
        var argv0 = InvokedAs();
        if (Path.GetFileName(argv0) == "nix-instantiate")
        {
            io = new CliIo(io.Stdout, io.Stderr, io.GetEnv, io.WorkingDirectory, io.Stdin) { OwnsProcess = true, InstantiateName = argv0 };
            args = ["instantiate", .. args];
        }
        // Run as nix-store (a link of that name, e.g. as an ssh store's remote-program), nixsharp
        // serves the store for `nix-store --serve [--write] [--store S]`; nothing else of nix-store's.
        else if (Path.GetFileName(argv0) == "nix-store")
        {
            if (!args.Contains("--serve"))
            {
                io.Err("error: nixsharp run as nix-store only does '--serve'; use 'nixsharp store ...' for the other operations\n");
                return 1;
            }
            args = ["store", "serve", .. args];
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

    /// <summary>The name the process was started under (argv[0]). Under the .NET apphost (tests,
    /// `dotnet build` output) the runtime reports the managed assembly instead, so the kernel's
    /// record is asked first; a NativeAOT binary gets the same answer either way.</summary>
    private static string InvokedAs()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            var end = Array.IndexOf(cmdline, (byte)0);
            if (end > 0) return System.Text.Encoding.UTF8.GetString(cmdline, 0, end);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return Environment.GetCommandLineArgs()[0];
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
