// The test assembly's entry point. The test runner never calls it; concurrency tests start this
// assembly as separate processes ("dotnet Nixsharp.Store.Tests.dll register-worker ...") so that
// several processes, not just threads, use one store database at once.
namespace Nixsharp.Store.Tests;

using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

public static class WorkerProgram
{
    public static int Main(string[] args)
    {
        if (args.Length != 6 || args[0] != "register-worker")
        {
            Console.Error.WriteLine("usage: register-worker <store root> <worker number> <shared path> <paths to register> <start, Unix ms>");
            return 2;
        }
        try
        {
            // Processes start at different speeds: all begin at the same agreed moment.
            var wait = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(args[5])) - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            else Console.Error.WriteLine($"worker {args[2]} started {-wait.TotalMilliseconds:F0} ms late");
            var registered = RegisterWorker.Run(StoreLayout.Chroot(args[1]), int.Parse(args[2]), args[3], int.Parse(args[4]));
            foreach (var p in registered) Console.WriteLine(p);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 1;
        }
    }
}

/// <summary>What each concurrent writer does, in a thread or in a process of its own.</summary>
public static class RegisterWorker
{
    /// <summary>The shared path's info, the same in every worker.</summary>
    public static ValidPathInfo SharedInfo(string sharedPath) => new()
    {
        Path = sharedPath,
        NarHash = ValidPathInfo.FormatNarHash(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sharedPath))),
        NarSize = 4096,
        RegistrationTime = 1_600_000_000,
    };

    /// <summary>Opens the store (perhaps creating it at the same time as others), then registers the
    /// shared path and `count` paths of its own, each referring to the shared path and to the previous
    /// one, one transaction per path, with reads in between; every tenth path comes in a batch with
    /// the shared path. Returns the paths it registered.</summary>
    public static List<string> Run(StoreLayout layout, int worker, string sharedPath, int count)
    {
        using var db = new StoreDatabase(layout);
        var shared = SharedInfo(sharedPath);
        db.RegisterValidPath(shared);
        var mine = new List<string>();
        string? previous = null;
        for (int i = 0; i < count; i++)
        {
            var path = TestPaths.Random($"w{worker}-{i}");
            var refs = previous is null ? new[] { sharedPath } : new[] { sharedPath, previous };
            var info = TestPaths.Info(path, refs);
            if (i % 10 == 0) db.RegisterValidPaths([info, shared]);
            else db.RegisterValidPath(info);
            if (db.QueryPathInfo(path) is not { } read || !read.References.SetEquals(refs))
                throw new InvalidOperationException($"worker {worker} cannot read back '{path}'");
            db.QueryReferrers(sharedPath);
            mine.Add(path);
            previous = path;
        }
        return mine;
    }
}
