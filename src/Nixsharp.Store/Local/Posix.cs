// The few POSIX calls the store needs that .NET does not offer: fcntl record locks (the kind Nix
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
        ENODATA = 61, ENOTSUP = 95, ENOTEMPTY = 39;
    private const int F_SETLK = 6, F_SETLKW = 7;
    public const short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    private const long UTIME_OMIT = (1L << 30) - 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct FLock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
    }

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

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static unsafe partial int FcntlLock(int fd, int cmd, FLock* lk);

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

    /// <summary>Takes (or with F_UNLCK releases) a whole-file fcntl lock. Without wait, returns false
    /// when someone else holds a conflicting lock.</summary>
    public static unsafe bool Lock(int fd, short type, bool wait, string what)
    {
        var lk = new FLock { Type = type, Whence = 0, Start = 0, Len = 0 };
        while (true)
        {
            if (FcntlLock(fd, wait ? F_SETLKW : F_SETLK, &lk) == 0) return true;
            int e = LastError;
            if (e == EINTR) continue;
            if (!wait && (e == EACCES || e == EAGAIN)) return false;
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
    public static unsafe List<string> ListXattrs(string path)
    {
        var names = new List<string>();
        var size = LListXattr(path, null, 0);
        if (size < 0)
        {
            if (LastError is ENOTSUP or ENODATA) return names;
            throw Error($"querying extended attributes of '{path}'", LastError);
        }
        if (size == 0) return names;
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
