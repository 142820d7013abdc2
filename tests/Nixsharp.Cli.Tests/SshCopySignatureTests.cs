// Signature checks on `nixsharp copy --from ssh://…`: as `nix copy --from ssh://` (which checks
// them too; checked here against the loopback sshd), every path must carry a signature by a key in
// trusted-public-keys or be content-addressed, before anything is registered; --no-check-sigs and
// `--option require-sigs false` turn the check off.
namespace Nixsharp.Cli.Tests;

using Xunit;

public sealed class SshCopySignatureTests : IClassFixture<SshCopyFixture>, IClassFixture<CacheSourceStore>, IDisposable
{
    private readonly SshCopyFixture _ssh;
    private readonly CacheSourceStore _fx;
    private readonly TempDir _tmp = new("nixsharp-sshsigs");

    public SshCopySignatureTests(SshCopyFixture ssh, CacheSourceStore fx)
    {
        Assert.True(LoopbackSshd.Available, "openssh-server is not installed; scripts/test.sh installs it");
        Assert.True(Tools.NixInstalled, "Nix 2.8 is not installed; scripts/test.sh installs it");
        _ssh = ssh;
        _fx = fx;
    }

    public void Dispose() => _tmp.Dispose();

    private const string Host = LoopbackSshd.HostAlias;
    private static readonly string[] NixCmd = ["--extra-experimental-features", "nix-command"];

    /// <summary>A copy of the fixture's source store (lib and app unsigned, src content-addressed).</summary>
    private string Origin()
    {
        var origin = _tmp.Sub("origin-" + Guid.NewGuid().ToString("N")[..8]);
        var cp = Tools.Run("cp", ["-a", _fx.Source, origin]);
        Assert.True(cp.Code == 0, cp.Stderr);
        return origin;
    }

    private RunResult NsCopy(string origin, string dst, params string[] extra) =>
        Tools.Run(Tools.Nixsharp, ["copy", "--store", dst, "--from", $"ssh://{Host}?remote-store={origin}", .. extra, _fx.App], env: _ssh.Sshd.Environment);

    private RunResult NixCopy(string origin, string dst, params string[] extra) =>
        Tools.Run("nix", [.. NixCmd, "copy", "--option", "substituters", "", "--store", dst,
            "--from", $"ssh://{Host}?remote-store={origin}", .. extra, _fx.App], env: _ssh.Sshd.Environment);

    private static string ErrorOf(RunResult r)
    {
        Assert.Equal(1, r.Code);
        var at = r.Stderr.IndexOf("error: ", StringComparison.Ordinal);
        Assert.True(at >= 0, "no error message: " + r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        return r.Stderr.Substring(at);
    }

    [Fact]
    public void UnsignedPathsAreRefusedWithNothingRegisteredAsRealNixRefusesThem()
    {
        var origin = Origin();
        var trusted = new[] { "--option", "trusted-public-keys", _fx.PublicKey };

        // Real Nix 2.8 refuses too, with the same message (lib is the first unsigned path; src is
        // content-addressed and proves itself).
        var nix = NixCopy(origin, _tmp.Sub("nix-dst"), trusted);
        Assert.NotEqual(0, nix.Code);
        Assert.Contains($"cannot add path '{_fx.Lib}' because it lacks a valid signature", nix.Stderr);

        var dst = new TestStore(_tmp.Sub("dst"));
        var r = NsCopy(origin, dst.Root, trusted);
        Assert.Equal($"error: cannot add path '{_fx.Lib}' because it lacks a valid signature\n", ErrorOf(r));
        Assert.Empty(dst.ValidPaths());
        Assert.Empty(dst.StrayEntries());

        // The default trusted key (cache.nixos.org's) does not help either.
        var dflt = NsCopy(origin, dst.Root);
        Assert.Equal($"error: cannot add path '{_fx.Lib}' because it lacks a valid signature\n", ErrorOf(dflt));
        Assert.Empty(dst.ValidPaths());
    }

    [Fact]
    public void PathsSignedByATrustedKeyAreAcceptedAndByAnotherKeyRefused()
    {
        var origin = Origin();
        var sign = Tools.Ns("store", "sign", "--store", origin, "-k", _fx.SecretKey, "-r", _fx.App);
        Assert.True(sign.Code == 0, sign.Stderr);

        // Signed by a key we do not trust: refused.
        var other = new TestStore(_tmp.Sub("other"));
        var refused = NsCopy(origin, other.Root, "--option", "trusted-public-keys", _fx.UntrustedPublicKey);
        Assert.Equal($"error: cannot add path '{_fx.Lib}' because it lacks a valid signature\n", ErrorOf(refused));
        Assert.Empty(other.ValidPaths());

        var dst = new TestStore(_tmp.Sub("dst"));
        var r = NsCopy(origin, dst.Root, "--option", "trusted-public-keys", _fx.UntrustedPublicKey + " " + _fx.PublicKey, "--json");
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal(3, System.Text.Json.JsonDocument.Parse(r.Out).RootElement.GetProperty("pathsCopied").GetInt32());
        Assert.Equal(new[] { _fx.App, _fx.Lib, _fx.Src }.Order(StringComparer.Ordinal), dst.ValidPaths());
        dst.AssertVerifies("after copying signed paths over ssh");
        // The signatures came along.
        var info = Tools.Run("nix", [.. NixCmd, "path-info", "--store", dst.Root, "--json", _fx.Lib]);
        Assert.Contains("\"signatures\":[\"trusted-1:", info.Out);

        // Real Nix accepts the same, with the same key.
        var nix = NixCopy(origin, _tmp.Sub("nix-dst"), "--option", "trusted-public-keys", _fx.PublicKey);
        Assert.True(nix.Code == 0, nix.Stderr);
    }

    [Fact]
    public void NoCheckSigsAndRequireSigsFalseAcceptUnsignedPaths()
    {
        var origin = Origin();
        var a = new TestStore(_tmp.Sub("a"));
        var r = NsCopy(origin, a.Root, "--no-check-sigs");
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal(3, a.ValidPaths().Count);
        a.AssertVerifies("after --no-check-sigs over ssh");

        var b = new TestStore(_tmp.Sub("b"));
        var r2 = NsCopy(origin, b.Root, "--option", "require-sigs", "false");
        Assert.True(r2.Code == 0, r2.Stderr);
        Assert.Equal(3, b.ValidPaths().Count);

        // A content-addressed path needs no signature.
        var c = new TestStore(_tmp.Sub("c"));
        var ca = Tools.Run(Tools.Nixsharp, ["copy", "--store", c.Root, "--from", $"ssh://{Host}?remote-store={origin}", _fx.Src], env: _ssh.Sshd.Environment);
        Assert.True(ca.Code == 0, ca.Stderr);
        Assert.Equal([_fx.Src], c.ValidPaths());
    }
}
