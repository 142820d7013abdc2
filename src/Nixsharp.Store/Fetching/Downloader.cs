// Downloading what a URL names, for the fetch builtins and the builtin:fetchurl builder: file://
// URLs are read directly, http(s) goes through HttpClient. Failures read as Nix 2.8's (which uses
// curl): "unable to download 'URL': " and curl's description of the error with its code, so
// messages match Nix's; transient failures (no connection, name not resolved, server errors) are
// retried with Nix's back-off, announcing each retry as a warning.
namespace Nixsharp.Store.Fetching;

using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;

/// <summary>A fetch that failed; the message is complete ("unable to download '…': …").</summary>
public sealed class FetchException : Exception
{
    public FetchException(string message) : base(message) { }
}

public sealed class DownloadOptions
{
    /// <summary>Undo a Content-Encoding (gzip, deflate, brotli) as the server applied it.</summary>
    public bool Decompress { get; init; } = true;
    /// <summary>Check the server's TLS certificate (the builtin:fetchurl builder does not: the hash decides).</summary>
    public bool VerifyTls { get; init; } = true;
    /// <summary>How many times to try in all (Nix's download-attempts).</summary>
    public int Attempts { get; init; } = 5;
    /// <summary>Where warnings go (one line each, without "warning: ").</summary>
    public Action<string> Warn { get; init; } = _ => { };
    /// <summary>Maps a file:// URL's path to the file to read; null refuses it (the builder's sandbox
    /// only shows some paths). Unset: the path as it is.</summary>
    public Func<string, string?>? MapLocalPath { get; init; }
}

public static class Downloader
{
    private const int RetryBaseMs = 250;

    /// <summary>Writes what `url` names to `output`.</summary>
    public static void Download(string url, Stream output, DownloadOptions? options = null)
    {
        options ??= new DownloadOptions();
        int colon = url.IndexOf(':');
        var scheme = colon > 0 && url.AsSpan(0, colon).IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") < 0
            ? url[..colon].ToLowerInvariant() : null;
        switch (scheme)
        {
            case null:
                throw Failed(url, "URL using bad/illegal format or missing URL (3)");
            case "file":
                ReadLocal(url, output, options);
                return;
            case "http":
            case "https":
                DownloadHttp(url, output, options);
                return;
            default:
                throw Failed(url, "Unsupported protocol (1)");
        }
    }

    private static FetchException Failed(string url, string why) => new($"unable to download '{url}': {why}");

    private static void ReadLocal(string url, Stream output, DownloadOptions options)
    {
        // file://HOST/PATH; only the local host is served, as curl does.
        if (!url.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) throw Failed(url, "URL using bad/illegal format or missing URL (3)");
        var rest = url.Substring("file://".Length);
        int slash = rest.IndexOf('/');
        var host = slash < 0 ? rest : rest[..slash];
        if (host.Length > 0 && !host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && host != "127.0.0.1")
            throw Failed(url, "URL using bad/illegal format or missing URL (3)");
        var encoded = slash < 0 ? "/" : rest[slash..];
        int query = encoded.IndexOfAny(new[] { '?', '#' });
        if (query >= 0) encoded = encoded[..query];
        string path;
        try { path = Uri.UnescapeDataString(encoded); }
        catch (UriFormatException) { throw Failed(url, "URL using bad/illegal format or missing URL (3)"); }
        var real = options.MapLocalPath is null ? path : options.MapLocalPath(path);
        if (real is null) throw Failed(url, "Couldn't read a file:// file (37)");
        // A directory reads as nothing, as curl has it.
        if (Directory.Exists(real)) return;
        FileStream file;
        try { file = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Failed(url, "Couldn't read a file:// file (37)"); }
        using (file)
        {
            var buffer = new byte[1 << 16];
            while (true)
            {
                int n;
                try { n = file.Read(buffer, 0, buffer.Length); }
                catch (IOException) { throw Failed(url, "Couldn't read a file:// file (37)"); }
                if (n == 0) break;
                output.Write(buffer, 0, n);
            }
        }
    }

    private static readonly Dictionary<(bool Decompress, bool VerifyTls), HttpClient> Clients = new();

    /// <summary>One client per kind of download, kept for the process (connections are reused).</summary>
    private static HttpClient Client(DownloadOptions options)
    {
        lock (Clients)
        {
            var key = (options.Decompress, options.VerifyTls);
            if (Clients.TryGetValue(key, out var client)) return client;
            var handler = new SocketsHttpHandler
            {
                AutomaticDecompression = options.Decompress ? DecompressionMethods.All : DecompressionMethods.None,
                AllowAutoRedirect = true,
                MaxAutomaticRedirections = 10,
            };
            if (!options.VerifyTls)
                handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.UserAgent.ParseAdd("curl/7.81.0 Nix/2.8.0");
            Clients[key] = client;
            return client;
        }
    }

    private static void DownloadHttp(string url, Stream output, DownloadOptions options)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw Failed(url, "URL using bad/illegal format or missing URL (3)");
        var client = Client(options);
        for (int attempt = 1; ; attempt++)
        {
            // A retry may only start over when nothing has been written yet.
            var start = output.CanSeek ? output.Position : 0;
            var (error, transient) = TryDownload(client, uri, output);
            if (error is null) return;
            if (!transient || attempt >= options.Attempts) throw Failed(url, error);
            if (output.CanSeek) { output.Position = start; output.SetLength(start); }
            else if (start != 0) throw Failed(url, error);
            int delay = RetryBaseMs * (1 << (attempt - 1)) + Random.Shared.Next(0, RetryBaseMs);
            options.Warn($"error: unable to download '{url}': {error}; retrying in {delay} ms");
            Thread.Sleep(delay);
        }
    }

    /// <summary>One attempt: null on success, else curl's description and whether to retry.</summary>
    private static (string? Error, bool Transient) TryDownload(HttpClient client, Uri uri, Stream output)
    {
        try
        {
            using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, uri), HttpCompletionOption.ResponseHeadersRead);
            using var body = response.Content.ReadAsStream();
            int code = (int)response.StatusCode;
            if (code >= 200 && code < 300)
            {
                body.CopyTo(output, 1 << 16);
                return (null, false);
            }
            var text = ReadSome(body);
            var message = $"HTTP error {code} ('{response.ReasonPhrase ?? ""}')";
            if (text.Length > 0) message += "\n\nresponse body:\n\n" + text;
            bool transient = code is 408 or 429 || code >= 500;
            return (message, transient);
        }
        catch (HttpRequestException e)
        {
            return (Describe(e), e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
                or HttpRequestError.ProxyTunnelError or HttpRequestError.ResponseEnded);
        }
        catch (IOException e) when (e.InnerException is SocketException or HttpRequestException || e is HttpIOException)
        {
            return ("Failure when receiving data from the peer (56)", true);
        }
        catch (TaskCanceledException)
        {
            return ("Timeout was reached (28)", true);
        }
    }

    private static string Describe(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "Couldn't resolve host name (6)",
        HttpRequestError.ConnectionError => e.InnerException is AuthenticationException
            ? "SSL peer certificate or SSH remote key was not OK (60)" : "Couldn't connect to server (7)",
        HttpRequestError.SecureConnectionError => "SSL peer certificate or SSH remote key was not OK (60)",
        HttpRequestError.ProxyTunnelError => "Couldn't connect to server (7)",
        HttpRequestError.ResponseEnded => "Failure when receiving data from the peer (56)",
        _ => e.Message,
    };

    private static string ReadSome(Stream body)
    {
        try
        {
            var buffer = new byte[64 << 10];
            int total = 0, n;
            while (total < buffer.Length && (n = body.Read(buffer, total, buffer.Length - total)) > 0) total += n;
            return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception e) when (e is IOException or HttpRequestException) { return ""; }
    }
}
