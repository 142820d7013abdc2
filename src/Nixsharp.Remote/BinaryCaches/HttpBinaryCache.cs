// A binary cache served over http(s)://, read-only, laid out as a file:// cache (nix-cache-info,
// HASH.narinfo, nar/…). Narinfos are parsed as strictly as from a directory; NARs stream from the
// response body through decompression, with the file's size and hash checked at the end. Every
// failure (HTTP status, connection, a body cut short) is a BinaryCacheException naming the URL.
namespace Nixsharp.Remote.BinaryCaches;

using System.Net;
using System.Text;
using Nixsharp.Formats.BinaryCache;
using Nixsharp.Formats.Streams;

public sealed class HttpBinaryCache : IBinaryCacheReader, IDisposable
{
    private readonly HttpClient _client;
    /// <summary>The cache's URL, without a trailing slash.</summary>
    public string BaseUrl { get; }
    public string StoreDir { get; }
    /// <summary>What its nix-cache-info says (priority, whether to mass-query).</summary>
    public NixCacheInfo Info { get; }
    public string Display => BaseUrl;

    private HttpBinaryCache(HttpClient client, string baseUrl, string storeDir, NixCacheInfo info)
    {
        _client = client;
        BaseUrl = baseUrl;
        StoreDir = storeDir;
        Info = info;
    }

    public static bool IsHttpUrl(string url) =>
        url.StartsWith("http://", StringComparison.Ordinal) || url.StartsWith("https://", StringComparison.Ordinal);

    /// <summary>Opens the cache at `url` (checking its nix-cache-info) for a store whose paths are in `storeDir`.</summary>
    public static HttpBinaryCache Open(string url, string storeDir, TimeSpan? connectTimeout = null)
    {
        if (!IsHttpUrl(url)) throw new BinaryCacheException($"'{url}' is not an http:// or https:// binary cache URL");
        if (url.Contains('?') || url.Contains('#'))
            throw new BinaryCacheException($"binary cache URL '{url}': nixsharp takes no settings in http(s):// cache URLs");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new BinaryCacheException($"'{url}' is not a valid URL");
        var baseUrl = url.TrimEnd('/');
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = true,
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("nixsharp");
        try
        {
            var text = GetText(client, baseUrl + "/" + FileBinaryCache.CacheInfoFile)
                ?? throw new BinaryCacheException($"'{baseUrl}' is not a binary cache: it has no {FileBinaryCache.CacheInfoFile}") { NotABinaryCache = true };
            NixCacheInfo info;
            try { info = NixCacheInfo.Parse(text, baseUrl + "/" + FileBinaryCache.CacheInfoFile); }
            catch (FormatException e) { throw new BinaryCacheException(e.Message); }
            if (info.StoreDir != storeDir)
                throw new BinaryCacheException($"binary cache '{baseUrl}' is for Nix stores with prefix '{info.StoreDir}', not '{storeDir}'");
            return new HttpBinaryCache(client, baseUrl, storeDir, info);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public NarInfo? QueryNarInfo(string storePath)
    {
        var url = BaseUrl + "/" + NarInfo.HashPartOf(storePath) + ".narinfo";
        var text = GetText(_client, url);
        if (text is null) return null;
        NarInfo info;
        try { info = NarInfo.Parse(text, StoreDir, url); }
        catch (FormatException e) { throw new BinaryCacheException(e.Message); }
        if (info.StorePath != storePath)
            throw new BinaryCacheException($"NAR info file '{url}' is for path '{info.StorePath}', not '{storePath}'");
        return info;
    }

    public void ReadNar(NarInfo info, Action<Stream> consume)
    {
        var url = BaseUrl + "/" + FileBinaryCache.CheckNarUrl(info, Display);
        var response = Get(_client, url);
        if (response is null) throw new BinaryCacheException($"the NAR of '{info.StorePath}' is missing from binary cache '{Display}' ('{url}' was not found)");
        using (response)
        {
            Stream body;
            try { body = response.Content.ReadAsStream(); }
            catch (Exception e) when (e is HttpRequestException or IOException) { throw Failed(url, e); }
            FileBinaryCache.ReadNarFile(new HttpBodyStream(body, url), info, Display, consume);
        }
    }

    /// <summary>A small file's text, or null on 404/403 (how caches say "not here").</summary>
    private static string? GetText(HttpClient client, string url)
    {
        using var response = Get(client, url);
        if (response is null) return null;
        try
        {
            using var body = new HttpBodyStream(response.Content.ReadAsStream(), url);
            using var buffer = new MemoryStream();
            var chunk = new byte[16384];
            int n;
            while ((n = body.Read(chunk)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > 16 << 20) throw new BinaryCacheException($"'{url}' is larger than 16 MiB; it is not a narinfo");
            }
            return new UTF8Encoding(false, true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException) { throw new BinaryCacheException($"'{url}' is not UTF-8 text"); }
        catch (Exception e) when (e is HttpRequestException or IOException) { throw Failed(url, e); }
    }

    /// <summary>The response to GET url (headers read, body not yet), or null on 404/403.</summary>
    private static HttpResponseMessage? Get(HttpClient client, string url)
    {
        HttpResponseMessage response;
        try { response = client.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead); }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
        {
            throw Failed(url, e);
        }
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            response.Dispose();
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            var status = $"{(int)response.StatusCode} ({response.ReasonPhrase})";
            response.Dispose();
            throw new BinaryCacheException($"unable to download '{url}': HTTP error {status}");
        }
        return response;
    }

    internal static BinaryCacheException Failed(string url, Exception e)
    {
        var reason = e is TaskCanceledException ? "Timeout was reached (28)" : e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException tls)
            {
                reason = $"the server's TLS certificate is not trusted ({tls.Message.TrimEnd('.')}); " +
                    "NIX_SSL_CERT_FILE or SSL_CERT_FILE can name a file of certificates to trust instead of the system's";
                break;
            }
            if (inner is System.Net.Sockets.SocketException s) { reason = CurlWording(s) ?? s.Message; break; }
            if (inner is IOException) reason = inner.Message;
        }
        return new BinaryCacheException($"unable to download '{url}': {reason}");
    }

    /// <summary>What Nix (through curl) says for the common connection failures, so that messages
    /// read as Nix's; null for others.</summary>
    private static string? CurlWording(System.Net.Sockets.SocketException e) => e.SocketErrorCode switch
    {
        System.Net.Sockets.SocketError.ConnectionRefused => "Couldn't connect to server (7)",
        System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData
            or System.Net.Sockets.SocketError.TryAgain => "Couldn't resolve host name (6)",
        System.Net.Sockets.SocketError.TimedOut => "Timeout was reached (28)",
        _ => null,
    };

    public void Dispose() => _client.Dispose();
}

/// <summary>A response body whose read failures (connection reset, body cut short) become
/// BinaryCacheExceptions naming the URL, so they are not taken for local I/O errors.</summary>
internal sealed class HttpBodyStream(Stream inner, string url) : ReadOnlyStream
{

    public override int Read(Span<byte> buffer)
    {
        try { return inner.Read(buffer); }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new BinaryCacheException($"unable to download '{url}': the connection failed or the body was cut short ({e.Message})");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
