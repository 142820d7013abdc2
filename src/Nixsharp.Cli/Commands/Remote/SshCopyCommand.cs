// Copying over ssh:// for `nixsharp copy` and `nixsharp copy-closure`: resolves the paths, opens the
// session (ssh with NIX_SSHOPTS, as Nix), copies, shows progress on stderr and a --json summary.
namespace Nixsharp.Cli.Commands.Remote;

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Nixsharp.Cli.Commands.Store;
using Nixsharp.Cli.Glue;
using Nixsharp.Remote.Ssh;
using Nixsharp.Store.Local;

public static class SshCopyCommand
{
    public sealed record Request(string Url, bool ToRemote, string? StoreUri, string[] Paths, bool Json,
        bool IncludeOutputs = false, bool Substitute = false, Nixsharp.Formats.Signing.TrustedKeys? TrustedForImport = null);

    public static int Run(CliIo io, Request r)
    {
        SshStoreUrl url;
        try { url = SshStoreUrl.Parse(r.Url); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (r.Paths.Length == 0) throw new UsageException("no store paths given");
        using var store = StoreOpener.Open(r.StoreUri, io);
        List<string> roots;
        if (r.ToRemote)
        {
            roots = r.Paths.Select(a => StoreCommand.FollowLinksToStorePath(store, a, io)).Distinct().ToList();
            foreach (var p in roots) store.QueryValidPathInfo(p);
        }
        else roots = r.Paths.Select(a => store.ParseStorePath(Path.GetFullPath(a, io.WorkingDirectory))).Distinct().ToList();

        var progress = new CopyProgressPrinter(io, url.Display, r.ToRemote);
        var clock = Stopwatch.StartNew();
        using var remote = ServeClient.Connect(url, write: r.ToRemote, io.GetEnv("NIX_SSHOPTS"));
        var result = r.ToRemote
            ? SshCopy.CopyTo(store, remote, roots, r.IncludeOutputs, r.Substitute, progress)
            : SshCopy.CopyFrom(remote, store, roots, r.IncludeOutputs, progress, r.TrustedForImport);
        remote.Close();
        progress.Finish(result, clock.Elapsed);
        if (r.Json) io.Out(StoreCommand.Encode(Json(result, clock.Elapsed)) + "\n");
        return 0;
    }

    private static string Json(CopyResult result, TimeSpan elapsed)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("copied");
            foreach (var p in result.Copied) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteNumber("pathsCopied", result.Copied.Count);
            w.WriteNumber("bytes", result.Bytes);
            w.WriteNumber("alreadyPresent", result.AlreadyPresent);
            w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
            // Requests per serve command: the round trips a copy made (QueryValidPaths is one).
            w.WriteStartObject("requests");
            foreach (var (cmd, n) in result.Requests.OrderBy(kv => kv.Key)) w.WriteNumber(cmd.ToString(), n);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>Progress on stderr: one redrawn status line on a terminal; otherwise a line per path
/// (as Nix prints "copying path '…' to '…'...") and a summary.</summary>
public sealed class CopyProgressPrinter : ICopyProgress
{
    private readonly CliIo _io;
    private readonly string _url;
    private readonly bool _toRemote;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _lock = new();
    private int _total, _done;
    private long _totalBytes, _bytes;
    private string _current = "";
    private long _lastDrawMs = -1000;

    public CopyProgressPrinter(CliIo io, string url, bool toRemote)
    {
        _io = io;
        _url = url;
        _toRemote = toRemote;
        _interactive = io.OwnsProcess && !Console.IsErrorRedirected && io.GetEnv("TERM") is { } t && t != "dumb";
    }

    public void Planned(int pathsToCopy, long bytesToCopy, int alreadyPresent)
    {
        lock (_lock) { _total = pathsToCopy; _totalBytes = bytesToCopy; }
        if (!_interactive && pathsToCopy > 0)
            Line($"copying {pathsToCopy} paths ({MiB(bytesToCopy)} MiB) {(_toRemote ? "to" : "from")} '{_url}' ({alreadyPresent} already there)");
    }

    public void PathStarted(string path, long narSize)
    {
        lock (_lock) _current = path;
        if (!_interactive) Line($"copying path '{path}' {(_toRemote ? "to" : "from")} '{_url}'...");
        else Draw(force: true);
    }

    public void BytesMoved(long bytes)
    {
        lock (_lock) _bytes += bytes;
        if (_interactive) Draw(force: false);
    }

    public void PathDone(string path)
    {
        lock (_lock) _done++;
        if (_interactive) Draw(force: false);
    }

    public void Finish(CopyResult result, TimeSpan elapsed)
    {
        if (_interactive) _io.Err("\r\x1b[K");
        var secs = Math.Max(elapsed.TotalSeconds, 1e-3);
        Line(string.Create(CultureInfo.InvariantCulture,
            $"copied {result.Copied.Count} paths ({MiB(result.Bytes)} MiB) {(_toRemote ? "to" : "from")} '{_url}' in {elapsed.TotalSeconds:F1} s ({result.Bytes / secs / (1 << 20):F1} MiB/s); {result.AlreadyPresent} already there"));
    }

    private void Draw(bool force)
    {
        string text;
        lock (_lock)
        {
            var now = _clock.ElapsedMilliseconds;
            if (!force && now - _lastDrawMs < 100) return;
            _lastDrawMs = now;
            var rate = _bytes / Math.Max(now / 1000.0, 1e-3) / (1 << 20);
            var name = _current.Length > 0 ? _current.Substring(_current.LastIndexOf('/') + 1) : "";
            text = string.Create(CultureInfo.InvariantCulture, $"[{_done}/{_total} paths, {MiB(_bytes)}/{MiB(_totalBytes)} MiB, {rate:F1} MiB/s] {name}");
        }
        _io.Err("\r\x1b[K" + StoreCommand.Encode(text));
    }

    private void Line(string text) => _io.Err(StoreCommand.Encode(text) + "\n");

    private static string MiB(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);
}
