// Temporary GC roots: the store paths this process is using or about to create. They live in
// <state>/temproots/<pid>, NUL-separated, and the file stays write-locked for the life of the
// process, so a collector can tell a live process's file from one left by a dead process.
// Compatible with Nix 2.8 in both directions: while a collector holds the global GC lock, a new
// root is also sent to it over its socket and only counts once the collector acknowledges it.
namespace Nixsharp.Store.Local;

using System.Net.Sockets;
using System.Text;

public sealed class TempRoots : IDisposable
{
    public const string GcSocketRelative = "gc-socket/socket";

    private readonly StoreLayout _layout;
    private readonly object _gate = new();
    private FileLock? _rootsFile;
    private FileLock? _gcLock;
    private Socket? _collector;

    public TempRoots(StoreLayout layout) { _layout = layout; }

    /// <summary>Runs `body` holding the global GC lock for writing (the collector's side). It uses
    /// this object's descriptor of gc.lock, whose shared lock adders of this process take, and keeps
    /// this process's own adders out meanwhile.</summary>
    public T WithExclusiveGcLock<T>(Func<IReadOnlyCollection<string>, T> body, Action waiting)
    {
        lock (_gate)
        {
            _gcLock ??= FileLock.Open(_layout.GcLockFile);
            if (!_gcLock.TryLock(write: true))
            {
                waiting();
                _gcLock.Lock(write: true);
            }
            try { return body(_own); }
            finally { _gcLock.Unlock(); }
        }
    }

    private readonly List<string> _own = new();
    private readonly HashSet<string> _ownSet = new(StringComparer.Ordinal);

    public string FileName => Path.Combine(_layout.TempRootsDir, Environment.ProcessId.ToString());

    public void Add(string storePath)
    {
        lock (_gate)
        {
            if (_ownSet.Contains(storePath)) return;
            OpenRootsFile();
            _gcLock ??= FileLock.Open(_layout.GcLockFile);
            while (true)
            {
                // A shared GC lock means no collector is running now, and none can start until we
                // have written the root down.
                if (_gcLock.TryLock(write: false))
                {
                    try { WriteRoot(storePath); }
                    finally { _gcLock.Unlock(); }
                    _own.Add(storePath); _ownSet.Add(storePath);
                    return;
                }
                if (TellCollector(storePath))
                {
                    WriteRoot(storePath);
                    _own.Add(storePath); _ownSet.Add(storePath);
                    return;
                }
                // The collector went away between our lock attempt and connecting: try again.
                Thread.Sleep(10);
            }
        }
    }

    /// <summary>Appends the path and its NUL to the roots file in one write (encoded on the stack:
    /// every path a process adds to the store comes through here).</summary>
    private void WriteRoot(string storePath)
    {
        int max = Encoding.UTF8.GetMaxByteCount(storePath.Length) + 1;
        Span<byte> record = max <= 1024 ? stackalloc byte[max] : new byte[max];
        int length = Encoding.UTF8.GetBytes(storePath, record);
        record[length++] = 0;
        _rootsFile!.Write(record[..length]);
    }

    private void OpenRootsFile()
    {
        if (_rootsFile is not null) return;
        Directory.CreateDirectory(_layout.TempRootsDir);
        var file = FileName;
        while (true)
        {
            // No other live process can have our pid, so an existing file is stale.
            Posix.Unlink(file);
            var fl = FileLock.Open(file);
            fl.Lock(write: true);
            // A collector may have deleted the file between our open and lock (it writes a byte
            // into files it deletes): start over then.
            if (fl.Size == 0) { _rootsFile = fl; return; }
            fl.Dispose();
        }
    }

    private bool TellCollector(string storePath)
    {
        try
        {
            if (_collector is null)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try { s.Connect(new UnixDomainSocketEndPoint(Path.Combine(_layout.StateDir, GcSocketRelative))); }
                catch (SocketException) { s.Dispose(); return false; }
                _collector = s;
            }
            _collector.Send(Encoding.UTF8.GetBytes(storePath + "\n"));
            var ack = new byte[1];
            if (_collector.Receive(ack) != 1 || ack[0] != (byte)'1') throw new SocketException();
            return true;
        }
        catch (SocketException)
        {
            _collector?.Dispose();
            _collector = null;
            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _collector?.Dispose();
            _collector = null;
            if (_rootsFile is not null)
            {
                Posix.Unlink(_rootsFile.Path);
                _rootsFile.Dispose();
                _rootsFile = null;
            }
            _gcLock?.Dispose();
            _gcLock = null;
        }
    }
}
