// Reads NARs (Nix ARchives) from a stream, streaming and hardened against hostile input.
//
// The reader accepts exactly the canonical form NarWriter and `nix-store --dump` produce and
// consumes exactly the archive's bytes, never one more: the serve protocol embeds NARs in a stream
// with no length prefix, so reading ahead would eat the next message. File contents are handed
// over (or skipped) in chunks, so memory stays flat whatever the files' sizes.
//
// Nix 2.8's parser is looser than its own writer: it accepts fields in any order, regular files
// without contents, symlinks without targets, entries without nodes, unsorted directories and
// symlink targets with NUL bytes (silently truncated). None of that can come from a dump, and each
// makes a NAR whose hash differs from the dump of what it restores to, so this reader rejects it,
// as current Nix does.
namespace Nixsharp.Formats.Nar;

/// <summary>
/// Receives the entries of a NAR in archive order (parents before children, siblings in byte order
/// of their names). `path` is relative to the archive root: "" for the root, else names joined
/// with '/'. Names and symlink targets are the archive's bytes decoded as UTF-8, the inverse of
/// NarWriter's encoding (archives whose names are not valid UTF-8 are rejected before this is called).
/// </summary>
public interface INarSink
{
    void CreateDirectory(string path);

    /// <summary>
    /// `contents` reads exactly `size` bytes of the file and is valid only during this call; what
    /// the sink leaves unread is skipped.
    /// </summary>
    void CreateRegularFile(string path, bool executable, long size, Stream contents);

    void CreateSymlink(string path, string target);
}

/// <summary>
/// Bounds on what an archive may contain; anything beyond is rejected as malformed. A name or
/// target is held whole while it is checked, so the length limits also bound memory.
/// </summary>
public sealed class NarLimits
{
    public static NarLimits Default { get; } = new();

    /// <summary>
    /// Most path components an entry may have (the root has 0). A path of 2048 one-byte names is
    /// already 4095 bytes, the longest path Linux accepts, so Nix 2.8 cannot restore anything deeper.
    /// </summary>
    public int MaxDepth { get; init; } = 2048;

    /// <summary>Longest entry name in bytes: Linux's NAME_MAX, as current Nix enforces.</summary>
    public int MaxNameLength { get; init; } = 255;

    /// <summary>Longest symlink target in bytes: PATH_MAX - 1, as current Nix enforces.</summary>
    public int MaxSymlinkTargetLength { get; init; } = 4095;

    /// <summary>Longest entry path (names joined with '/') in bytes: PATH_MAX - 1, beyond which
    /// Nix 2.8's restore fails anyway. Also bounds the path strings built per entry.</summary>
    public int MaxPathLength { get; init; } = 4095;
}

/// <summary>A malformed, truncated or over-limit archive.</summary>
public sealed class NarFormatException : FormatException
{
    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }

    /// <summary>The entry being read ("" for the root), with undecodable bytes shown as \xNN.</summary>
    public string EntryPath { get; }

    /// <summary>Archive offset of the token that is wrong, or where the input ended.</summary>
    public long Offset { get; }

    public NarFormatException(string reason, string entryPath, long offset)
        : base($"bad archive: {reason} ({(entryPath.Length == 0 ? "at the archive root" : $"at '{Shorten(entryPath)}'")}, offset {offset})")
    {
        Reason = reason;
        EntryPath = entryPath;
        Offset = offset;
    }

    // Hostile archives nest thousands deep: a message shows the two ends of such a path.
    private static string Shorten(string path) =>
        path.Length <= 200 ? path : $"{path[..80]}…{path[^80..]} ({path.Length} characters)";
}

public static class NarReader
{
    /// <summary>
    /// Parses the archive at the current position of `input`, driving `sink`, and leaves `input`
    /// just after the archive's last byte. Returns the archive's length in bytes.
    /// </summary>
    /// <exception cref="NarFormatException">The archive is malformed, truncated or over `limits`.</exception>
    public static long Parse(Stream input, INarSink sink, NarLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        var parser = new NarParser(input, sink, limits ?? NarLimits.Default);
        return parser.Run();
    }

    /// <summary>
    /// Copies exactly the archive at the current position of `input` to `output`, validating it on
    /// the way (to hash or forward a NAR embedded in a protocol stream). Names need not be UTF-8
    /// here: nothing is decoded. Returns the archive's length in bytes. On failure, `output` has
    /// received some prefix of what was read.
    /// </summary>
    /// <exception cref="NarFormatException">The archive is malformed, truncated or over `limits`.</exception>
    public static long Copy(Stream input, Stream output, NarLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        using var tee = new TeeReadStream(input, output);
        var parser = new NarParser(tee, sink: null, limits ?? NarLimits.Default);
        long length = parser.Run();
        tee.FlushPending();
        return length;
    }
}
