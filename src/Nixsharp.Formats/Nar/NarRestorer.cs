// Restores a NAR into a new path, as `nix-store --restore` does.
//
// Modes are what nix-store produces: it resets its umask to 022 at start-up, so files come out
// 0644 (0755 when executable) and directories 0755 whatever the caller's umask; they are set
// explicitly here for the same result.
//
// Nothing is written outside the target and no symlink is followed: every entry must sit directly
// in a directory this restorer created (and is still filling, in archive order), names are
// checked again, files and symlinks are created only where nothing exists (O_EXCL refuses even a
// dangling symlink), and a directory only where nothing exists. The target must be private to the
// caller while restoring: another process swapping in a symlink between two calls is not defended.
//
// On failure the partially restored target stays behind: callers restore into a temporary
// directory and delete it when anything throws.
namespace Nixsharp.Formats.Nar;

public sealed class NarRestorer : INarSink
{
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;  // 0755
    private const UnixFileMode RegularMode = (UnixFileMode)0b110_100_100;       // 0644
    private const UnixFileMode ExecutableMode = (UnixFileMode)0b111_101_101; // 0755

    private readonly List<OpenDirectory> _open = []; // the directories still receiving entries, outermost first
    private bool _rootDone;

    private sealed class OpenDirectory(string path)
    {
        public readonly string Path = path;
        public string? LastName;
    }

    /// <summary>The absolute path restored to.</summary>
    public string TargetPath { get; }

    /// <param name="targetPath">Must not exist (not even as a dangling symlink); its parent must.</param>
    public NarRestorer(string targetPath)
    {
        TargetPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetPath));
        if (Path.Exists(TargetPath)) throw new IOException($"cannot restore to '{TargetPath}': it already exists");
        var parent = Path.GetDirectoryName(TargetPath);
        if (parent is null || !Directory.Exists(parent))
            throw new IOException($"cannot restore to '{TargetPath}': its parent directory does not exist");
    }

    /// <summary>
    /// Restores the archive at the current position of `input` to `targetPath` (see the
    /// constructor) and returns the archive's length. On failure, whatever was restored so far stays.
    /// </summary>
    public static long Restore(Stream input, string targetPath, NarLimits? limits = null) =>
        NarReader.Parse(input, new NarRestorer(targetPath), limits);

    public void CreateDirectory(string path)
    {
        var full = Locate(path);
        // mkdir through .NET succeeds when a directory (or a symlink to one) is already there.
        if (Path.Exists(full)) throw new IOException($"cannot create directory '{full}': it already exists");
        Directory.CreateDirectory(full, DirectoryMode);
        File.SetUnixFileMode(full, DirectoryMode); // the umask may have cleared bits
        _open.Add(new OpenDirectory(path));
    }

    public void CreateRegularFile(string path, bool executable, long size, Stream contents)
    {
        var full = Locate(path);
        var mode = executable ? ExecutableMode : RegularMode;
        var options = new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew, // O_CREAT | O_EXCL: fails on anything there, symlinks included
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = mode,
            BufferSize = 0, // contents arrive in large chunks already
        };
        using var file = new FileStream(full, options);
        File.SetUnixFileMode(file.SafeFileHandle, mode); // the umask may have cleared bits
        if (size > 0) contents.CopyTo(file);
    }

    public void CreateSymlink(string path, string target)
    {
        var full = Locate(path);
        File.CreateSymbolicLink(full, target); // symlink(2) fails when anything exists there
    }

    /// <summary>
    /// The absolute path for `path`, after checking it names a new entry directly inside the
    /// innermost directory still open (closing the ones the archive has left).
    /// </summary>
    private string Locate(string path)
    {
        if (path.Length == 0)
        {
            if (_rootDone) throw new InvalidOperationException("the archive root was already restored");
            _rootDone = true;
            return TargetPath;
        }
        if (!_rootDone) throw new InvalidOperationException($"'{path}' comes before the archive root");

        int slash = path.LastIndexOf('/');
        var parent = slash < 0 ? "" : path[..slash];
        var name = path[(slash + 1)..];
        if (name.Length == 0 || name == "." || name == ".." || name.Contains('\0'))
            throw new ArgumentException($"invalid file name '{name}' in '{path}'", nameof(path));

        int open = _open.Count - 1;
        while (open >= 0 && _open[open].Path != parent) open--;
        if (open < 0) throw new InvalidOperationException($"'{path}' is not inside a directory being restored");
        // The archive has moved on from the directories inside this one: they get nothing more.
        _open.RemoveRange(open + 1, _open.Count - open - 1);
        var dir = _open[open];
        if (dir.LastName is not null && CompareCodePoints(name, dir.LastName) <= 0)
            throw new InvalidOperationException($"'{path}' does not come after '{dir.LastName}' in the archive's order");
        dir.LastName = name;
        var full = TargetPath + "/" + path;
        // Said plainly here rather than as the file system's "File name too long" quoting a
        // path thousands of characters long.
        var bytes = System.Text.Encoding.UTF8.GetByteCount(full);
        if (bytes >= MaxPathBytes)
            throw new IOException($"cannot restore an entry nested {path.Count(c => c == '/') + 1} levels deep: its path would be {bytes} bytes long, and the system allows {MaxPathBytes - 1}");
        return full;
    }

    /// <summary>Linux's PATH_MAX, counting the terminating NUL.</summary>
    private const int MaxPathBytes = 4096;

    /// <summary>Code-point order, which is the byte order of the names' UTF-8 (UTF-16's is not).</summary>
    private static int CompareCodePoints(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y) continue;
            // Surrogates (supplementary code points) sort after U+E000..U+FFFF.
            if (x >= 0xD800 && y >= 0xD800) return Fix(x) - Fix(y);
            return x - y;
        }
        return a.Length - b.Length;

        static int Fix(char c) => c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
