// The few POSIX calls the store needs that .NET does not offer: flock(2) locks (the kind Nix 2.8
// uses, so that nixsharp and Nix respect each other's locks), lstat with owner and link count,
// lchown, setting mtime on symlinks, and extended attributes. statx is used for its layout, which
// is the same on every Linux architecture.
namespace Nixsharp.Store.Local;

using System.Runtime.InteropServices;

internal static partial class Posix
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200,
        O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_DIRECTORY = 0x10000;
    public const int EINTR = 4, EAGAIN = 11, EACCES = 13, EEXIST = 17, ENOENT = 2, ENOTDIR = 20, EPERM = 1,
        ENODATA = 61, ENOTSUP = 95, ENOTEMPTY = 39, EWOULDBLOCK = EAGAIN;
    private const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    private const long UTIME_OMIT = (1L << 30) - 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Sec;
        public long NSec;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenRaw(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteRaw(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint PReadRaw(int fd, byte* buf, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FLockRaw(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatxRaw(int dirfd, string path, int flags, uint mask, byte* buf);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChownRaw(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int UtimensAt(int dirfd, string path, TimeSpec* times, int flags);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint LListXattr(string path, byte* list, nint size);

    [LibraryImport("libc", EntryPoint = "lremovexattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LRemoveXattr(string path, string name);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEgid();

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkRaw(string path);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2Raw(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameRaw(string oldPath, string newPath);

    private const uint RENAME_EXCHANGE = 2;
    private const int EINVAL = 22, ENOSYS = 38;

    /// <summary>Swaps two existing entries in one step (renameat2 RENAME_EXCHANGE). False when the
    /// kernel or file system cannot (the caller then falls back to two renames).</summary>
    public static bool TryExchange(string a, string b)
    {
        if (RenameAt2Raw(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0) return true;
        int e = LastError;
        if (e is EINVAL or ENOSYS or ENOTSUP) return false;
        throw Error($"exchanging '{a}' and '{b}'", e);
    }

    public static void Rename(string from, string to)
    {
        if (RenameRaw(from, to) != 0) throw Error($"renaming '{from}' to '{to}'", LastError);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int sig);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static IOException Error(string what, int errno) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");

    /// <summary>open(2), retried on EINTR; returns -1 with LastError set on failure.</summary>
    public static int Open(string path, int flags, int mode = 0)
    {
        while (true)
        {
            int fd = OpenRaw(path, flags | O_CLOEXEC, mode);
            if (fd >= 0 || LastError != EINTR) return fd;
        }
    }

    public static unsafe void WriteAll(int fd, ReadOnlySpan<byte> data, string what)
    {
        fixed (byte* p = data)
        {
            nint done = 0;
            while (done < data.Length)
            {
                var n = WriteRaw(fd, p + done, data.Length - done);
                if (n < 0)
                {
                    if (LastError == EINTR) continue;
                    throw Error($"writing to '{what}'", LastError);
                }
                done += n;
            }
        }
    }

    /// <summary>The whole contents of an open file, read through its descriptor (opening the file
    /// again through .NET would take a shared flock, which fails while its owner holds it locked).</summary>
    public static unsafe byte[] ReadAll(int fd, string what)
    {
        var result = new MemoryStream();
        var buf = new byte[1 << 16];
        long offset = 0;
        fixed (byte* p = buf)
        {
            while (true)
            {
                var n = PReadRaw(fd, p, buf.Length, offset);
                if (n < 0)
                {
                    if (LastError == EINTR) continue;
                    throw Error($"reading '{what}'", LastError);
                }
                if (n == 0) return result.ToArray();
                result.Write(buf, 0, (int)n);
                offset += n;
            }
        }
    }

    public enum LockKind { Shared, Exclusive, None }

    /// <summary>Takes (or with None releases) a flock(2) lock on the open file. Without wait, returns
    /// false when someone else holds a conflicting lock. Nix 2.8 locks with flock, not fcntl: the two
    /// kinds do not see each other, so only flock keeps nixsharp and Nix out of each other's way.
    /// flock locks belong to the open file, so two descriptors of one file conflict even within a
    /// process, and closing one descriptor leaves the other's lock alone.</summary>
    public static bool Lock(int fd, LockKind kind, bool wait, string what)
    {
        int op = kind switch { LockKind.Shared => LOCK_SH, LockKind.Exclusive => LOCK_EX, _ => LOCK_UN };
        if (!wait) op |= LOCK_NB;
        while (true)
        {
            if (FLockRaw(fd, op) == 0) return true;
            int e = LastError;
            if (e == EINTR) continue;
            if (!wait && e == EWOULDBLOCK) return false;
            throw Error($"acquiring lock on '{what}'", e);
        }
    }

    public static bool Unlink(string path, bool missingOk = true)
    {
        if (UnlinkRaw(path) == 0) return true;
        if (missingOk && LastError == ENOENT) return false;
        throw Error($"removing '{path}'", LastError);
    }

    public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, uint Links, ulong Inode, long Size, long Blocks, long MTime)
    {
        public uint Type => Mode & 0xF000;
        public bool IsDirectory => Type == 0x4000;
        public bool IsRegular => Type == 0x8000;
        public bool IsSymlink => Type == 0xA000;
        public uint Permissions => Mode & 0xFFF;
    }

    /// <summary>lstat: the entry itself, never what a symlink points at. Null when it does not exist.</summary>
    public static unsafe FileStatus? LStat(string path)
    {
        byte* buf = stackalloc byte[256];
        if (StatxRaw(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0x7ff, buf) != 0)
        {
            int e = LastError;
            if (e == ENOENT || e == ENOTDIR) return null;
            throw Error($"getting status of '{path}'", e);
        }
        return new FileStatus(
            Mode: *(ushort*)(buf + 28), Uid: *(uint*)(buf + 20), Gid: *(uint*)(buf + 24), Links: *(uint*)(buf + 16),
            Inode: *(ulong*)(buf + 32), Size: *(long*)(buf + 40), Blocks: *(long*)(buf + 48), MTime: *(long*)(buf + 112));
    }

    public static void LChown(string path, uint uid, uint gid)
    {
        if (LChownRaw(path, uid, gid) != 0) throw Error($"changing owner of '{path}' to {uid}", LastError);
    }

    /// <summary>Sets the modification time (not following symlinks), leaving the access time.</summary>
    public static unsafe void SetMTime(string path, long seconds)
    {
        TimeSpec* t = stackalloc TimeSpec[2];
        t[0] = new TimeSpec { Sec = 0, NSec = UTIME_OMIT };
        t[1] = new TimeSpec { Sec = seconds, NSec = 0 };
        if (UtimensAt(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW) != 0)
            throw Error($"changing modification time of '{path}'", LastError);
    }

    /// <summary>The names of a file's extended attributes (not following symlinks).</summary>
    public static unsafe IReadOnlyList<string> ListXattrs(string path)
    {
        var size = LListXattr(path, null, 0);
        if (size < 0)
        {
            if (LastError is ENOTSUP or ENODATA) return [];
            throw Error($"querying extended attributes of '{path}'", LastError);
        }
        if (size == 0) return [];
        var names = new List<string>();
        var buf = new byte[size + 256];
        fixed (byte* p = buf)
        {
            size = LListXattr(path, p, buf.Length);
            if (size < 0) throw Error($"querying extended attributes of '{path}'", LastError);
        }
        int start = 0;
        for (int i = 0; i < size; i++)
            if (buf[i] == 0)
            {
                if (i > start) names.Add(System.Text.Encoding.UTF8.GetString(buf, start, i - start));
                start = i + 1;
            }
        return names;
    }

    public static void RemoveXattr(string path, string name)
    {
        if (LRemoveXattr(path, name) != 0 && LastError != ENODATA)
            throw Error($"removing extended attribute '{name}' from '{path}'", LastError);
    }

    /// <summary>Whether a process exists (signal 0 reaches it or it exists under another uid).</summary>
    public static bool ProcessExists(int pid) => Kill(pid, 0) == 0 || LastError == EPERM;
}
