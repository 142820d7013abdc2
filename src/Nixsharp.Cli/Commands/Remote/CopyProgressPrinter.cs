// How `copy` and `copy-closure` show progress on standard error, for every transport.
namespace Nixsharp.Cli.Commands.Remote;

using System.Diagnostics;
using System.Globalization;
using Nixsharp.Cli.Commands.Store;
using Nixsharp.Remote;

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

    /// <summary>The summary line: what was copied, how fast, and what was there already.</summary>
    public void Finish(int copied, long bytes, int alreadyPresent, TimeSpan elapsed)
    {
        if (_interactive) _io.Err("\r\x1b[K");
        var secs = Math.Max(elapsed.TotalSeconds, 1e-3);
        Line(string.Create(CultureInfo.InvariantCulture,
            $"copied {copied} paths ({MiB(bytes)} MiB) {(_toRemote ? "to" : "from")} '{_url}' in {elapsed.TotalSeconds:F1} s ({bytes / secs / (1 << 20):F1} MiB/s); {alreadyPresent} already there"));
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
        lock (_lock) _io.Err("\r\x1b[K" + StoreCommand.Encode(text));
    }

    private void Line(string text)
    {
        lock (_lock) _io.Err(StoreCommand.Encode(text) + "\n");
    }

    private static string MiB(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);
}

/// <summary>Passes progress on to the printer and keeps the totals for its summary line.</summary>
public sealed class CountingCopyProgress(CopyProgressPrinter printer) : ICopyProgress
{
    private long _bytes;
    public CopyProgressPrinter Printer => printer;
    public long Bytes => Interlocked.Read(ref _bytes);
    public int AlreadyPresent { get; private set; }

    public void Planned(int pathsToCopy, long bytesToCopy, int alreadyPresent)
    {
        AlreadyPresent = alreadyPresent;
        printer.Planned(pathsToCopy, bytesToCopy, alreadyPresent);
    }

    public void PathStarted(string path, long narSize) => printer.PathStarted(path, narSize);

    public void BytesMoved(long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        printer.BytesMoved(bytes);
    }

    public void PathDone(string path) => printer.PathDone(path);
}
