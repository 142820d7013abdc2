// Reading a binary cache over https: the server's certificate is checked against the system's
// trusted roots, or against the bundle SSL_CERT_FILE or NIX_SSL_CERT_FILE (Nix's variable) names,
// as Nix does through curl. The test serves a cache nix copy wrote, with a certificate made for it.
namespace Nixsharp.Cli.Tests;

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

public sealed class HttpsBinaryCacheTests : IClassFixture<CacheSourceStore>, IDisposable
{
    private readonly CacheSourceStore _fx;
    private readonly TempDir _tmp = new("nixsharp-httpscache");
    private readonly LoopbackHttpServer _server;
    private readonly string _bundle;

    public HttpsBinaryCacheTests(CacheSourceStore fx)
    {
        Assert.True(Tools.NixInstalled, "Nix 2.8 is not installed; scripts/test.sh installs it");
        _fx = fx;
        var cache = _tmp.Sub("cache");
        var nix = Tools.Nix("nix", "--extra-experimental-features", "nix-command", "copy",
            "--to", $"file://{cache}?compression=xz&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App);
        Assert.True(nix.Code == 0, nix.Stderr);
        var certificate = SelfSigned();
        _bundle = _tmp.Sub("ca.pem");
        File.WriteAllText(_bundle, certificate.ExportCertificatePem());
        _server = new LoopbackHttpServer(cache, certificate);
    }

    /// <summary>A certificate for 127.0.0.1, valid for a day, with its private key.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=nixsharp test cache", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Through PKCS#12 so that the key is usable by the TLS server on every platform.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        _server.Dispose();
        _tmp.Dispose();
    }

    /// <summary>Debian's bundle of the usual public roots.</summary>
    private const string SystemBundle = "/etc/ssl/certs/ca-certificates.crt";

    private RunResult CopyFrom(string store, Dictionary<string, string> env) =>
        Tools.Run(Tools.Nixsharp, ["copy", "--option", "trusted-public-keys", _fx.PublicKey, "--from", _server.Url, "--store", store, _fx.App], env: env);

    [Theory]
    [InlineData("SSL_CERT_FILE")]
    [InlineData("NIX_SSL_CERT_FILE")]
    public void ACacheServedOverHttpsIsReadWhenItsCertificateIsTrusted(string variable)
    {
        var dst = new TestStore(_tmp.Sub("dst-" + variable));
        // The machine may set either variable (NIX_SSL_CERT_FILE wins); an empty one counts as unset.
        var env = new Dictionary<string, string> { ["NIX_SSL_CERT_FILE"] = "", ["SSL_CERT_FILE"] = SystemBundle, [variable] = _bundle };
        var r = CopyFrom(dst.Root, env);
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Contains($"copying path '{_fx.App}' from '{_server.Url}'...", r.Stderr);
        Assert.StartsWith("https://", _server.Url);
        Assert.Equal(new[] { _fx.App, _fx.Lib, _fx.Src }.Order(StringComparer.Ordinal), dst.ValidPaths());
        Assert.True(Tools.Nix("nix-store", "--store", dst.Root, "--verify", "--check-contents").Code == 0);
    }

    [Fact]
    public void AnUntrustedCertificateIsAClearErrorAndNothingIsRegistered()
    {
        var dst = new TestStore(_tmp.Sub("dst-untrusted"));
        // A bundle without the server's certificate: the system roots are not consulted either.
        var other = _tmp.Sub("other.pem");
        File.WriteAllText(other, SelfSigned().ExportCertificatePem());
        foreach (var env in new Dictionary<string, string>[]
        {
            new() { ["NIX_SSL_CERT_FILE"] = "", ["SSL_CERT_FILE"] = SystemBundle },
            new() { ["NIX_SSL_CERT_FILE"] = other, ["SSL_CERT_FILE"] = SystemBundle },
        })
        {
            var r = CopyFrom(dst.Root, env);
            Assert.Equal(1, r.Code);
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.StartsWith($"error: unable to download '{_server.Url}/nix-cache-info': ", r.Stderr);
            Assert.Contains("certificate", r.Stderr);
            Assert.Empty(dst.ValidPaths());
        }
    }
}
