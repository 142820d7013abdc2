// Locks on store paths, compatible with Nix's: an exclusive flock on "<path>.lock". A holder that
// is done with a path deletes the lock file and writes a byte into it, so a waiter that then gets
// the lock on the unlinked file sees a non-empty file, knows the lock went stale, and starts over.
// Threads of one process are also kept apart with an in-process table, so that they wait on a
// monitor rather than on the file.
namespace Nixsharp.Store.Local;

/// <summary>An open lock file with a flock lock (shared or exclusive) on it.</summary>
public sealed class FileLock : IDisposable
{
    private int _fd;
    public string Path { get; }

    private FileLock(int fd, string path) { _fd = fd; Path = path; }

    public int Fd => _fd;

    /// <summary>Opens (creating) a lock file without locking it.</summary>
    public static FileLock Open(string path, bool create = true)
    {
        int fd = Posix.Open(path, Posix.O_RDWR | (create ? Posix.O_CREAT : 0), 0b110_000_000);
        if (fd < 0) throw Posix.Error($"opening lock file '{path}'", Posix.LastError);
        return new FileLock(fd, path);
    }

    public bool TryLock(bool write) => Posix.Lock(_fd, write ? Posix.LockKind.Exclusive : Posix.LockKind.Shared, wait: false, Path);
    public void Lock(bool write) => Posix.Lock(_fd, write ? Posix.LockKind.Exclusive : Posix.LockKind.Shared, wait: true, Path);
    public void Unlock() => Posix.Lock(_fd, Posix.LockKind.None, wait: false, Path);

    /// <summary>The size of the open file (it may have been unlinked since it was opened).</summary>
    public long Size => Posix.LSeek(_fd, 0, 2);

    public void Write(ReadOnlySpan<byte> data) => Posix.WriteAll(_fd, data, Path);

    /// <summary>The file's contents, read through this descriptor.</summary>
    public byte[] ReadAll() => Posix.ReadAll(_fd, Path);

    public void Dispose()
    {
        if (_fd >= 0) Posix.Close(_fd);
        _fd = -1;
    }
}

/// <summary>Write locks on a set of paths, taken in sorted order so that two lockers of
/// overlapping sets cannot deadlock.</summary>
public sealed class PathLocks : IDisposable
{
    private static readonly HashSet<string> LockedInProcess = new(StringComparer.Ordinal);
    private readonly List<(string Path, FileLock Lock)> _held = new();
    private bool _deleteLockFiles;

    /// <summary>Locks every path, waiting as long as it takes (or returns null when wait is false
    /// and some path is locked by someone else).</summary>
    public static PathLocks? Acquire(IEnumerable<string> paths, bool wait = true, Action<string>? waiting = null)
    {
        var locks = new PathLocks();
        try
        {
            // Sorted, each path once (most callers lock a single path, so no LINQ pipeline).
            var sorted = paths.ToArray();
            Array.Sort(sorted, StringComparer.Ordinal);
            for (int i = 0; i < sorted.Length; i++)
            {
                var path = sorted[i];
                if (i > 0 && path == sorted[i - 1]) continue;
                if (!locks.LockOne(path, wait, waiting))
                {
                    locks.Dispose();
                    return null;
                }
            }
            return locks;
        }
        catch
        {
            locks.Dispose();
            throw;
        }
    }

    private bool LockOne(string path, bool wait, Action<string>? waiting)
    {
        // Threads of this process first, on a monitor.
        while (true)
        {
            lock (LockedInProcess)
            {
                if (LockedInProcess.Add(path)) break;
                if (!wait) return false;
                Monitor.Wait(LockedInProcess, 100);
            }
        }
        var lockFile = path + ".lock";
        try
        {
            while (true)
            {
                var fl = FileLock.Open(lockFile);
                if (!fl.TryLock(write: true))
                {
                    if (!wait) { fl.Dispose(); Release(path); return false; }
                    waiting?.Invoke(path);
                    fl.Lock(write: true);
                }
                // A previous holder deleted the file after we opened it: that lock is worthless.
                if (fl.Size != 0) { fl.Dispose(); continue; }
                _held.Add((path, fl));
                return true;
            }
        }
        catch
        {
            Release(path);
            throw;
        }
    }

    private static void Release(string path)
    {
        lock (LockedInProcess)
        {
            LockedInProcess.Remove(path);
            Monitor.PulseAll(LockedInProcess);
        }
    }

    /// <summary>Delete the lock files when releasing (once the paths they guard are done).</summary>
    public void SetDeletion(bool delete) => _deleteLockFiles = delete;

    public void Dispose()
    {
        foreach (var (path, fl) in _held)
        {
            if (_deleteLockFiles)
            {
                Posix.Unlink(fl.Path);
                // Tell anyone already waiting on this file that it is stale.
                try { fl.Write("d"u8); } catch (IOException) { }
            }
            fl.Dispose();
            Release(path);
        }
        _held.Clear();
    }
}
