// The loopback sshd that transfer tests use: a command run through it sees the test's PATH, and
// real Nix's ssh store reaches a scratch store on the "remote host" through it.
namespace Nixsharp.Cli.Tests;

using Xunit;

public sealed class LoopbackSshdTests
{
    [Fact]
    public void ACommandRunsOnTheLoopbackHostThroughTheRealSshClient()
    {
        Assert.True(LoopbackSshd.Available, "openssh-server is not installed; scripts/test.sh installs it");
        using var sshd = new LoopbackSshd();
        var r = sshd.Ssh("echo", "hello", "from", "$((6*7))");
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal("hello from 42\n", r.Out);
        // The remote PATH is the test's, so remote programs (nix-store, nixsharp) are found.
        var which = sshd.Ssh("command", "-v", "nix-store");
        Assert.True(which.Code == 0, which.Stderr);
        Assert.Equal("/usr/bin/nix-store\n", which.Out);
    }

    [Fact]
    public void RealNixCopiesThroughTheLoopbackHostIntoARemoteScratchStore()
    {
        Assert.True(LoopbackSshd.Available, "openssh-server is not installed; scripts/test.sh installs it");
        Assert.True(Tools.NixInstalled, "Nix 2.8 is not installed; scripts/test.sh installs it");
        using var sshd = new LoopbackSshd();
        using var tmp = new TempDir();
        var local = tmp.Sub("local");
        var remote = tmp.Sub("remote");
        File.WriteAllText(tmp.Sub("hello.txt"), "hello over ssh\n");
        var add = Tools.Run("nix-store", new[] { "--store", local, "--add", tmp.Sub("hello.txt") });
        Assert.True(add.Code == 0, add.Stderr);
        var path = add.Out.Trim();

        var copy = Tools.Run("nix", new[] { "--extra-experimental-features", "nix-command", "copy", "--store", local,
            "--to", $"ssh://{LoopbackSshd.HostAlias}?remote-store={remote}", path }, env: sshd.Environment);
        Assert.True(copy.Code == 0, copy.Stderr);
        var check = Tools.Run("nix-store", new[] { "--store", remote, "--verify-path", path });
        Assert.True(check.Code == 0, check.Stderr);
    }
}
