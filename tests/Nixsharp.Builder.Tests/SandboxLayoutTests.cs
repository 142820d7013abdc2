// The sandbox's description: sandbox-paths parsing (and refusing '..'), and the bwrap command line
// (namespaces, network only for fixed-output builds, mounts parents first, read-only root).
namespace Nixsharp.Builder.Tests;

using Nixsharp.Builder.Linux;
using Xunit;

public class SandboxLayoutTests
{
    [Fact]
    public void SandboxPathsParseAsNixWritesThem()
    {
        var paths = SandboxPaths.Parse("/bin/sh=/bin/busybox  /dev/kvm? /usr//lib/./x=/opt/x?\n/etc/ssl");
        Assert.Equal(new[]
        {
            new SandboxPath("/bin/sh", "/bin/busybox", false),
            new SandboxPath("/dev/kvm", "/dev/kvm", true),
            new SandboxPath("/usr/lib/x", "/opt/x", true),
            new SandboxPath("/etc/ssl", "/etc/ssl", false),
        }, paths);
    }

    [Theory]
    [InlineData("/bin/../etc=/etc")]
    [InlineData("/x=/tmp/../../etc")]
    [InlineData("..")]
    [InlineData("bin/sh=/bin/busybox")]
    [InlineData("/bin/sh=busybox")]
    public void SandboxPathsThatClimbOrAreRelativeAreRefused(string value) =>
        Assert.Throws<FormatException>(() => SandboxPaths.Parse(value));

    private static SandboxLayout Layout(bool privateNetwork) => new()
    {
        ChrootDir = "/s/nix/store/x.drv.chroot",
        StoreDir = "/nix/store",
        BuildDirOnHost = "/tmp/nix-build-x.drv-0",
        BuildDirInSandbox = "/build",
        ReadOnlyPaths = new[]
        {
            new SandboxPath("/nix/store/aaa-in", "/s/nix/store/aaa-in", false),
            new SandboxPath("/bin/sh", "/bin/busybox", false),
            new SandboxPath("/usr/share/opt", "/opt", true),
        },
        Symlinks = new Dictionary<string, string> { ["/nix/store/bbb-link"] = "aaa-in" },
        PrivateNetwork = privateNetwork,
    };

    [Fact]
    public void BwrapArgumentsIsolateEverything()
    {
        var args = BubblewrapSandbox.Arguments(Layout(true), "/bin/sh", new[] { "-c", "echo" }, argv0: "sh", seccompFd: 7);
        var text = string.Join(' ', args);
        foreach (var ns in new[] { "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-net" })
            Assert.Contains(ns, args);
        Assert.Contains("--uid 1000 --gid 100 --hostname localhost --die-with-parent --new-session --as-pid-1", text);
        // The store directory is mounted before the inputs inside it; parents of mount points are made 0755.
        Assert.True(text.IndexOf("--bind /s/nix/store/x.drv.chroot/nix/store /nix/store", StringComparison.Ordinal)
                    < text.IndexOf("--ro-bind /s/nix/store/aaa-in /nix/store/aaa-in", StringComparison.Ordinal));
        Assert.Contains("--symlink aaa-in /nix/store/bbb-link", text);
        Assert.Contains("--ro-bind-try /opt /usr/share/opt", text);
        Assert.Contains("--perms 0755 --dir /bin", text);
        Assert.Contains("--perms 0755 --dir /usr/share", text);
        Assert.Contains("--bind /tmp/nix-build-x.drv-0 /build", text);
        Assert.Contains("--dev /dev", text);
        Assert.Contains("--proc /proc", text);
        Assert.EndsWith("--remount-ro /etc --remount-ro / --chdir /build --seccomp 7 --argv0 sh -- /bin/sh -c echo", text);
    }

    [Fact]
    public void TheSystemCallFilterIsAWellFormedProgram()
    {
        var program = SeccompFilter.Program();
        Assert.Equal(0, program.Length % 8);
        int count = program.Length / 8;
        // Every jump lands inside the program, and the last instruction returns.
        for (int i = 0; i < count; i++)
        {
            int code = program[i * 8] | (program[i * 8 + 1] << 8);
            if ((code & 0x07) == 0x05 /* BPF_JMP */)
                Assert.True(i + 1 + Math.Max(program[i * 8 + 2], program[i * 8 + 3]) < count, $"jump at {i} leaves the program");
        }
        Assert.Equal(0x06, program[(count - 1) * 8]);
    }

    [Fact]
    public void FixedOutputBuildsKeepTheNetwork()
    {
        var args = BubblewrapSandbox.Arguments(Layout(false), "/bin/sh", Array.Empty<string>(), argv0: null);
        Assert.DoesNotContain("--unshare-net", args);
        Assert.DoesNotContain("--argv0", args);
    }
}
