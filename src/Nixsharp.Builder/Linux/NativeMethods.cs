// The system calls the builder needs that .NET does not offer: lstat with mode and owner (statx,
// whose layout is the same on every Linux architecture), umask, and personality (to turn off
// address-space randomisation for builders, as Nix does).
namespace Nixsharp.Builder.Linux;

using System.Runtime.InteropServices;

internal static partial class NativeMethods
{
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    private const int ENOENT = 2, ENOTDIR = 20;
    public const uint AddrNoRandomize = 0x0040000;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatxRaw(int dirfd, string path, int flags, uint mask, byte* buf);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameRaw(string from, string to);

    /// <summary>rename(2): moves a file, directory or symlink (never following it) within a file system.</summary>
    public static void Rename(string from, string to)
    {
        if (RenameRaw(from, to) != 0)
        {
            int e = Marshal.GetLastPInvokeError();
            throw new IOException($"renaming '{from}' to '{to}': {Marshal.GetPInvokeErrorMessage(e)}");
        }
    }

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirRaw(string path, uint mode);

    /// <summary>mkdir(2): false if something already exists there (so two processes never share a directory).</summary>
    public static bool TryMkdir(string path, uint mode)
    {
        if (MkdirRaw(path, mode) == 0) return true;
        int e = Marshal.GetLastPInvokeError();
        if (e == 17 /* EEXIST */) return false;
        throw new IOException($"creating directory '{path}': {Marshal.GetPInvokeErrorMessage(e)}");
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    [LibraryImport("libc", EntryPoint = "personality", SetLastError = true)]
    public static partial int Personality(uint persona);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEgid();

    public readonly record struct FileStatus(uint Mode, uint Uid)
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
            int e = Marshal.GetLastPInvokeError();
            if (e is ENOENT or ENOTDIR) return null;
            throw new IOException($"getting attributes of path '{path}': {Marshal.GetPInvokeErrorMessage(e)}");
        }
        return new FileStatus(Mode: *(ushort*)(buf + 28), Uid: *(uint*)(buf + 20));
    }

    /// <summary>Turns off address-space randomisation for processes this thread starts (the
    /// personality is per thread and inherited by children), for more deterministic builds.</summary>
    public static void DisableAddressRandomisationForChildren()
    {
        int current = Personality(0xffffffff);
        if (current != -1) Personality((uint)current | AddrNoRandomize);
    }
}
