// File-tree operations on store paths: canonicalising metadata the way Nix does (so that a path's
// NAR hash depends only on its contents and nixsharp's and Nix's stores look the same), and
// deleting trees whose directories are read-only.
namespace Nixsharp.Store.Local;

public static class StoreFiles
{
    /// <summary>True unless running as root.</summary>
    public static bool IsUnprivileged() => Posix.GetEuid() != 0;

    /// <summary>The modification time of everything in the store (Nix's mtimeStore).</summary>
    public const long StoreMTime = 1;

    /// <summary>Makes a freshly written tree look like a store path: modes 0444, or 0555 when the
    /// owner could execute (directories always), no setuid/setgid/sticky bits, mtime 1, no extended
    /// attributes, owned by the current user. Only regular files, directories and symlinks may appear.
    /// With fromUid set (build outputs), any file owned by someone else that was not already seen
    /// through another hard link is refused, so a builder cannot hard-link foreign files in.</summary>
    public static void Canonicalise(string path, uint? fromUid = null)
    {
        // Inodes only matter when foreign owners are checked (build outputs).
        CanonicaliseTree(path, fromUid, fromUid is null ? null : new HashSet<ulong>(), 0);
        var st = Posix.LStat(path) ?? throw new IOException($"'{path}' disappeared while it was being canonicalised");
        if (st.Uid != Posix.GetEuid())
            throw new IOException($"wrong ownership of top-level store path '{path}'");
    }

    private static void CanonicaliseTree(string path, uint? fromUid, HashSet<ulong>? inodesSeen, int depth)
    {
        var st = Posix.LStat(path) ?? throw new IOException($"'{path}' disappeared while it was being canonicalised");
        if (!st.IsRegular && !st.IsDirectory && !st.IsSymlink)
            throw new IOException($"file '{path}' has an unsupported type");

        foreach (var name in Posix.ListXattrs(path))
            // SELinux labels are the file system's, not the contents'.
            if (name != "security.selinux") Posix.RemoveXattr(path, name);

        if (fromUid is uint from && st.Uid != from)
        {
            if (st.IsDirectory || inodesSeen?.Contains(st.Inode) != true)
                throw new IOException($"invalid ownership on file '{path}'");
            return; // a second hard link to a file already canonicalised
        }
        inodesSeen?.Add(st.Inode);

        if (!st.IsSymlink)
        {
            var perms = st.Permissions;
            if (perms != 0x124 /* 0444 */ && perms != 0x16D /* 0555 */)
            {
                var mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
                if ((perms & 0x40) != 0 /* S_IXUSR */)
                    mode |= UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
                File.SetUnixFileMode(path, mode);
            }
        }
        if (st.MTime != StoreMTime) Posix.SetMTime(path, StoreMTime);
        var euid = Posix.GetEuid();
        if (st.Uid != euid) Posix.LChown(path, euid, Posix.GetEgid());

        if (st.IsDirectory)
        {
            if (depth > 10_000) throw new IOException($"'{path}' is nested too deeply");
            foreach (var entry in Directory.EnumerateFileSystemEntries(path))
                CanonicaliseTree(entry, fromUid, inodesSeen, depth + 1);
        }
    }

    /// <summary>Deletes a file tree without following symlinks, making read-only directories
    /// writable first. Returns the bytes freed, counted as Nix counts them.
    /// A missing path is not an error.</summary>
    public static long DeleteTree(string path)
    {
        long freed = 0;
        DeleteTree(path, ref freed);
        return freed;
    }

    private static void DeleteTree(string path, ref long freed)
    {
        var st = Posix.LStat(path);
        if (st is null) return;
        var s = st.Value;
        // Counted as Nix counts: the size of every non-directory with one or two links (two, on
        // the guess that the other is a deduplication link that goes too).
        if (!s.IsDirectory && s.Links <= 2) freed += s.Size;
        if (s.IsDirectory)
        {
            if ((s.Permissions & 0x1C0) != 0x1C0)
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (var entry in Directory.EnumerateFileSystemEntries(path))
                DeleteTree(entry, ref freed);
            Directory.Delete(path);
        }
        else
        {
            Posix.Unlink(path);
        }
    }
}
