// Reading http(s):// binary caches: a cache written by real `nix copy --to file://…`, served by a
// small HTTP server the test runs on loopback, is copied from over http with the same checks as
// file:// (signatures, sizes, hashes); HTTP errors, a refused connection and a body cut short are
// clear errors naming the URL, and register nothing.
namespace Nixsharp.Cli.Tests;

using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

/// <summary>A minimal HTTP/1.1 server on 127.0.0.1 serving a directory (one request per
/// connection). `Override` can answer a path itself: a status code, or a cut-short body.</summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _root;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _tlsCertificate;
    public int Port { get; }
    public string Url => $"{(_tlsCertificate is null ? "http" : "https")}://127.0.0.1:{Port}/cache";
    /// <summary>Given the request path (below /cache), returns (status, bytes to send of the body)
    /// to replace the normal answer, or null.</summary>
    public Func<string, (int Status, int? SendOnly)?> Override { get; set; } = _ => null;
    public List<string> Requests { get; } = new();

    /// <summary>With `tlsCertificate` (and its key), it speaks https instead.</summary>
    public LoopbackHttpServer(string root, System.Security.Cryptography.X509Certificates.X509Certificate2? tlsCertificate = null)
    {
        _root = root;
        _tlsCertificate = tlsCertificate;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _thread = new Thread(Serve) { IsBackground = true };
        _thread.Start();
    }

    private void Serve()
    {
        while (!_stopping)
        {
            TcpClient client;
            try { client = _listener.AcceptTcpClient(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            ThreadPool.QueueUserWorkItem(_ => Handle(client));
        }
    }

    private void Handle(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_tlsCertificate is not null)
                {
                    var tls = new System.Net.Security.SslStream(stream);
                    try { tls.AuthenticateAsServer(_tlsCertificate); }
                    catch (System.Security.Authentication.AuthenticationException) { return; } // the client did not trust us
                    stream = tls;
                }
                var head = new StringBuilder();
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    int b = stream.ReadByte();
                    if (b < 0) return;
                    head.Append((char)b);
                }
                var target = head.ToString().Split(' ')[1];
                lock (Requests) Requests.Add(target);
                var rel = target.StartsWith("/cache/", StringComparison.Ordinal) ? target["/cache/".Length..] : null;
                var file = rel is null ? null : Path.Combine(_root, rel);
                byte[]? body = file is not null && File.Exists(file) ? File.ReadAllBytes(file) : null;
                int status = body is null ? 404 : 200;
                int? sendOnly = null;
                if (rel is not null && Override(rel) is { } o) { status = o.Status; sendOnly = o.SendOnly; }
                if (status != 200) body = Encoding.UTF8.GetBytes($"error {status}\n");
                var reason = status switch { 200 => "OK", 404 => "Not Found", 500 => "Internal Server Error", _ => "Error" };
                var header = $"HTTP/1.1 {status} {reason}\r\nContent-Length: {body!.Length}\r\nConnection: close\r\n\r\n";
                stream.Write(Encoding.ASCII.GetBytes(header));
                stream.Write(body, 0, Math.Min(body.Length, sendOnly ?? body.Length));
                stream.Flush();
            }
            catch (IOException) { }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Stop();
    }
}

public sealed class HttpBinaryCacheTests : IClassFixture<CacheSourceStore>, IDisposable
{
    private readonly CacheSourceStore _fx;
    private readonly TempDir _tmp = new("nixsharp-httpcache");
    private readonly string _cache;
    private readonly LoopbackHttpServer _server;

    public HttpBinaryCacheTests(CacheSourceStore fx)
    {
        Assert.True(Tools.NixInstalled, "Nix 2.8 is not installed; scripts/test.sh installs it");
        _fx = fx;
        _cache = _tmp.Sub("cache");
        var nix = Tools.Nix("nix", "--extra-experimental-features", "nix-command", "copy",
            "--to", $"file://{_cache}?compression=xz&secret-key={_fx.SecretKey}", "--store", _fx.Source, _fx.App);
        Assert.True(nix.Code == 0, nix.Stderr);
        _server = new LoopbackHttpServer(_cache);
    }

    public void Dispose()
    {
        _server.Dispose();
        _tmp.Dispose();
    }

    private RunResult CopyFrom(string url, string store, params string[] extra) =>
        Tools.Ns(["copy", "--option", "trusted-public-keys", _fx.PublicKey, "--from", url, "--store", store, .. extra, _fx.App]);

    private static string ErrorOf(RunResult r)
    {
        Assert.Equal(1, r.Code);
        Assert.DoesNotContain("   at ", r.Stderr);
        var at = r.Stderr.IndexOf("error: ", StringComparison.Ordinal);
        Assert.True(at >= 0, "no error message: " + r.Stderr);
        return r.Stderr.Substring(at);
    }

    private static string NarInfoOf(string path) => path["/nix/store/".Length..][..32] + ".narinfo";

    private string NarUrlOf(string path) =>
        File.ReadAllLines(Path.Combine(_cache, NarInfoOf(path))).Single(l => l.StartsWith("URL: ", StringComparison.Ordinal))["URL: ".Length..];

    [Fact]
    public void NixsharpCopiesACacheNixWroteOverHttpAndItVerifies()
    {
        var dst = new TestStore(_tmp.Sub("dst"));
        var r = CopyFrom(_server.Url, dst.Root, "--json");
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal($"[\"{_fx.Src}\",\"{_fx.Lib}\",\"{_fx.App}\"]", r.Out.Trim());
        Assert.Contains($"copying path '{_fx.App}' from '{_server.Url}'...", r.Stderr);
        var verify = Tools.Ns("store", "verify", "--check-contents", "--store", dst.Root);
        Assert.True(verify.Code == 0, verify.Stderr);
        Assert.True(Tools.Nix("nix-store", "--store", dst.Root, "--verify", "--check-contents").Code == 0);
        Assert.Equal(new[] { _fx.App, _fx.Lib, _fx.Src }.Order(StringComparer.Ordinal), dst.ValidPaths());
        foreach (var q in new[] { "--hash", "--size", "--references", "--deriver" })
            Assert.Equal(Tools.Nix("nix-store", "--store", _fx.Source, "-q", q, _fx.App).Out, Tools.Nix("nix-store", "--store", dst.Root, "-q", q, _fx.App).Out);
        // A trailing slash is the same cache; nothing more to do.
        Assert.Equal("[]", CopyFrom(_server.Url + "/", dst.Root, "--json").Out.Trim());
    }

    [Fact]
    public void UntrustedSignaturesAreRefusedUnlessNoCheckSigs()
    {
        var dst = new TestStore(_tmp.Sub("dst"));
        var r = Tools.Ns("copy", "--option", "trusted-public-keys", _fx.UntrustedPublicKey, "--from", _server.Url, "--store", dst.Root, _fx.App);
        Assert.Equal($"error: cannot add path '{_fx.App}' because it lacks a valid signature\n", ErrorOf(r));
        Assert.Empty(dst.ValidPaths());
        Assert.DoesNotContain(_server.Requests, q => q.Contains("/nar/", StringComparison.Ordinal));

        var ok = Tools.Ns("copy", "--no-check-sigs", "--from", _server.Url, "--store", dst.Root, _fx.App);
        Assert.True(ok.Code == 0, ok.Stderr);
        Assert.Equal(3, dst.ValidPaths().Count);
    }

    [Fact]
    public void ATruncatedNarBodyRegistersNothing()
    {
        var libNar = NarUrlOf(_fx.Lib);
        var half = (int)new FileInfo(Path.Combine(_cache, libNar)).Length / 2;
        _server.Override = rel => rel == libNar ? (200, half) : null;
        var dst = new TestStore(_tmp.Sub("dst"));
        var err = ErrorOf(CopyFrom(_server.Url, dst.Root));
        Assert.StartsWith($"error: unable to download '{_server.Url}/{libNar}'", err);
        Assert.Empty(dst.ValidPaths());
        Assert.Empty(dst.StrayEntries());

        // Served whole again, the copy goes through.
        _server.Override = _ => null;
        Assert.True(CopyFrom(_server.Url, dst.Root).Code == 0);
        Assert.Equal(3, dst.ValidPaths().Count);
    }

    [Fact]
    public void ServerErrorsMissingPathsAndRefusedConnectionsAreClearErrors()
    {
        var dst = new TestStore(_tmp.Sub("dst"));
        var appInfo = NarInfoOf(_fx.App);
        _server.Override = rel => rel == appInfo ? (500, null) : null;
        Assert.Equal($"error: unable to download '{_server.Url}/{appInfo}': HTTP error 500 (Internal Server Error)\n", ErrorOf(CopyFrom(_server.Url, dst.Root)));
        Assert.Empty(dst.ValidPaths());

        // A missing narinfo means the path is not in the cache.
        _server.Override = rel => rel == appInfo ? (404, null) : null;
        Assert.StartsWith($"error: path '{_fx.App}' is not in binary cache '{_server.Url}'", ErrorOf(CopyFrom(_server.Url, dst.Root)));

        // A missing NAR.
        var libNar = NarUrlOf(_fx.Lib);
        _server.Override = rel => rel == libNar ? (404, null) : null;
        Assert.Contains($"'{_server.Url}/{libNar}' was not found", ErrorOf(CopyFrom(_server.Url, dst.Root)));
        Assert.Empty(dst.ValidPaths());
        Assert.Empty(dst.StrayEntries());

        // Not a cache at all.
        Assert.Equal($"error: 'http://127.0.0.1:{_server.Port}/nothing' is not a binary cache: it has no nix-cache-info\n",
            ErrorOf(CopyFrom($"http://127.0.0.1:{_server.Port}/nothing", dst.Root)));

        // Nobody listening.
        var free = new TcpListener(IPAddress.Loopback, 0);
        free.Start();
        int port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var refused = ErrorOf(CopyFrom($"http://127.0.0.1:{port}/cache", dst.Root));
        Assert.StartsWith($"error: unable to download 'http://127.0.0.1:{port}/cache/nix-cache-info': Couldn't connect to server (7)", refused); // curl's words, as Nix prints them

        // Writing to http is refused up front.
        var to = Tools.Ns("copy", "--to", _server.Url, "--store", _fx.Source, _fx.App);
        Assert.Contains("read-only", to.Stderr);
        Assert.Equal(1, to.Code);
    }
}
