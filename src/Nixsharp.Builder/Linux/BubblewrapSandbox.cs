// The Linux sandbox, run by bubblewrap (bwrap). Why bubblewrap: it is small, maintained, packaged
// everywhere, and sets up exactly what Nix's sandbox needs — user, mount, PID, network, UTS, IPC
// and cgroup namespaces, bind mounts, a fresh /proc and a minimal /dev — from a single-threaded C
// process. Doing it ourselves would mean unshare(2)/mount(2) through P/Invoke from the .NET
// runtime, which is multi-threaded (CLONE_NEWUSER is refused to multi-threaded processes) and
// cannot run managed code between fork and exec.
//
// What the builder sees (as in Nix 2.8): uid 1000 (nixbld), gid 100, hostname localhost, the
// builder as PID 1, only loopback networking (fixed-output derivations keep the host network),
// /nix/store holding only the input closure (read-only bind mounts) in a writable directory
// where the outputs are created, the build directory at /build, a writable /tmp, /etc with
// passwd, group and hosts, a minimal /dev, /proc, the sandbox-paths, and nothing else: / itself
// is read-only.
namespace Nixsharp.Builder.Linux;

/// <summary>Everything the sandbox is made of.</summary>
public sealed record SandboxLayout
{
    /// <summary>Host directory holding the sandbox's writable parts: nix/store, tmp, etc.</summary>
    public required string ChrootDir { get; init; }
    public required string StoreDir { get; init; }
    public required string BuildDirOnHost { get; init; }
    public required string BuildDirInSandbox { get; init; }
    /// <summary>Read-only bind mounts (inputs, sandbox-paths), target in the sandbox → host source.</summary>
    public required IReadOnlyList<SandboxPath> ReadOnlyPaths { get; init; }
    /// <summary>Store paths among the inputs that are symlinks: made as symlinks (a bind mount would follow them).</summary>
    public IReadOnlyDictionary<string, string> Symlinks { get; init; } = new Dictionary<string, string>();
    /// <summary>False for fixed-output derivations, which may use the network.</summary>
    public bool PrivateNetwork { get; init; } = true;
}

public static class BubblewrapSandbox
{
    public const int SandboxUid = 1000;
    public const int SandboxGid = 100;

    /// <summary>bwrap's command line for running `builder args` in the sandbox.</summary>
    /// <param name="argv0">The builder's argv[0] (Nix passes the builder's base name), when bwrap
    /// can set it (--argv0, bubblewrap 0.9 and later); otherwise the builder sees its full path.</param>
    /// <param name="seccompFd">A descriptor with the system-call filter (SeccompFilter), if any.</param>
    public static List<string> Arguments(SandboxLayout layout, string builder, IReadOnlyList<string> args, string? argv0, int? seccompFd = null)
    {
        var a = new List<string>
        {
            "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
        };
        if (layout.PrivateNetwork) a.Add("--unshare-net");
        a.AddRange(new[]
        {
            "--uid", SandboxUid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gid", SandboxGid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--hostname", "localhost",
            // The builder dies with us; it gets no controlling terminal to inject input into.
            "--die-with-parent", "--new-session",
            // The builder is PID 1, as in Nix's sandbox.
            "--as-pid-1",
        });

        // Mounts, parents before children (sorted by target). /etc is bound writable so that
        // mount points can be made in it, and made read-only once they are.
        var mounts = new List<(string Target, string[] Args)>
        {
            (layout.StoreDir, new[] { "--bind", layout.ChrootDir + layout.StoreDir, layout.StoreDir }),
            (layout.BuildDirInSandbox, new[] { "--bind", layout.BuildDirOnHost, layout.BuildDirInSandbox }),
            ("/tmp", new[] { "--bind", layout.ChrootDir + "/tmp", "/tmp" }),
            ("/etc", new[] { "--bind", layout.ChrootDir + "/etc", "/etc" }),
            ("/proc", new[] { "--proc", "/proc" }),
        };
        bool hostDev = layout.ReadOnlyPaths.Any(p => p.Target == "/dev");
        if (!hostDev) mounts.Add(("/dev", new[] { "--dev", "/dev" }));
        foreach (var p in layout.ReadOnlyPaths)
        {
            if (p.Target is "/proc") continue; // as in Nix: /proc is always a fresh one
            if (p.Target == "/dev") mounts.Add(("/dev", new[] { "--dev-bind", p.Source, "/dev" }));
            else mounts.Add((p.Target, new[] { p.Optional ? "--ro-bind-try" : "--ro-bind", p.Source, p.Target }));
        }
        foreach (var (target, linkTarget) in layout.Symlinks)
            mounts.Add((target, new[] { "--symlink", linkTarget, target }));

        // Directories bwrap would otherwise create as 0700 on the way to a mount point.
        var targets = new HashSet<string>(mounts.Select(m => m.Target), StringComparer.Ordinal);
        var parents = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var t in targets)
            for (var dir = Parent(t); dir != "/"; dir = Parent(dir))
            {
                if (targets.Contains(dir) || targets.Any(m => dir.StartsWith(m + "/", StringComparison.Ordinal))) break;
                parents.Add(dir);
            }
        foreach (var dir in parents) a.AddRange(new[] { "--perms", "0755", "--dir", dir });

        foreach (var (_, margs) in mounts.OrderBy(m => m.Target, StringComparer.Ordinal)) a.AddRange(margs);
        a.AddRange(new[] { "--remount-ro", "/etc", "--remount-ro", "/", "--chdir", layout.BuildDirInSandbox });
        if (seccompFd is int fd) a.AddRange(new[] { "--seccomp", fd.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (argv0 is not null) a.AddRange(new[] { "--argv0", argv0 });
        a.Add("--");
        a.Add(builder);
        a.AddRange(args);
        return a;
    }

    private static string Parent(string path)
    {
        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>Creates the host side of the sandbox: the writable store directory (mode 1775 as in
    /// Nix), /tmp (1777), and /etc with passwd, group and (for sandboxed networking) hosts; for
    /// fixed-output derivations, the host's resolver configuration.</summary>
    public static List<SandboxPath> PrepareChroot(string chrootDir, string storeDir, string buildDirInSandbox, bool privateNetwork)
    {
        Directory.CreateDirectory(chrootDir);
        File.SetUnixFileMode(chrootDir, (UnixFileMode)0b111_101_000);
        var store = chrootDir + storeDir;
        Directory.CreateDirectory(store);
        File.SetUnixFileMode(store, (UnixFileMode)0x3FD /* 01775 */);
        var tmp = chrootDir + "/tmp";
        Directory.CreateDirectory(tmp);
        File.SetUnixFileMode(tmp, (UnixFileMode)0x3FF /* 01777 */);
        var etc = chrootDir + "/etc";
        Directory.CreateDirectory(etc);
        File.WriteAllText(etc + "/group", $"root:x:0:\nnixbld:!:{SandboxGid}:\nnogroup:x:65534:\n");
        File.WriteAllText(etc + "/passwd",
            $"root:x:0:0:Nix build user:{buildDirInSandbox}:/noshell\n" +
            $"nixbld:x:{SandboxUid}:{SandboxGid}:Nix build user:{buildDirInSandbox}:/noshell\n" +
            "nobody:x:65534:65534:Nobody:/:/noshell\n");
        var extra = new List<SandboxPath>();
        if (privateNetwork)
            File.WriteAllText(etc + "/hosts", "127.0.0.1 localhost\n::1 localhost\n");
        else
        {
            // Fixed-output derivations fetch things: name resolution from files and DNS only.
            File.WriteAllText(etc + "/nsswitch.conf", "hosts: files dns\nservices: files\n");
            foreach (var f in new[] { "/etc/resolv.conf", "/etc/services", "/etc/hosts" })
                if (File.Exists(f))
                {
                    File.WriteAllText(chrootDir + f, "");
                    extra.Add(new SandboxPath(f, f, Optional: true));
                }
        }
        foreach (var f in Directory.EnumerateFiles(etc))
            File.SetUnixFileMode(f, (UnixFileMode)0b110_100_100);
        return extra;
    }

    /// <summary>Whether this bwrap knows --argv0 (bubblewrap 0.9.0 and later).</summary>
    public static bool SupportsArgv0(string bwrapPath)
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo(bwrapPath, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var parts = text.Trim().Split(' ').LastOrDefault()?.Split('.');
            if (parts is null || parts.Length < 2) return false;
            if (!int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor)) return false;
            return major > 0 || minor >= 9;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            return false;
        }
    }

    /// <summary>bwrap on PATH (or at the configured path), or null.</summary>
    public static string? Find(string? configured, Func<string, string?> getEnv)
    {
        if (configured is not null) return File.Exists(configured) ? configured : null;
        foreach (var dir in (getEnv("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, "bwrap");
            if (File.Exists(p)) return p;
        }
        foreach (var p in new[] { "/usr/bin/bwrap", "/bin/bwrap" })
            if (File.Exists(p)) return p;
        return null;
    }
}
