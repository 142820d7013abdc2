// `nix-store --export` / `--import` streams. An imported path's name and references only follow
// its NAR, so each NAR is checked and buffered first (memory stays bounded: large ones spill to a
// file), then restored into place under the path's lock and registered.
namespace Nixsharp.Store.Local;

using System.Security.Cryptography;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Store.Database;

public sealed partial class LocalStore
{
    /// <summary>Writes the paths (references before referrers) in Nix's export format. A path whose
    /// contents no longer match its recorded hash is refused, so corruption does not spread.</summary>
    public void ExportPaths(IEnumerable<string> paths, Stream output)
    {
        var sorted = TopoSortPaths(paths);
        sorted.Reverse();
        foreach (var path in sorted)
        {
            var info = QueryValidPathInfo(path);
            ExportFormat.WritePath(output, o =>
            {
                using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var tee = new HashingStream(h, o);
                NarWriter.Dump(ToRealPath(path), tee);
                var actual = ValidPathInfo.FormatNarHash(h.GetHashAndReset());
                if (actual != info.NarHash)
                    throw new StoreException($"hash of path '{path}' has changed from '{ValidPathInfo.ShowNarHash(info.NarHash)}' to '{ValidPathInfo.ShowNarHash(actual)}'!");
            }, new ExportTrailer(path, info.References.ToList(), info.Deriver));
        }
        ExportFormat.WriteEnd(output);
    }

    /// <summary>Imports an export stream; returns the paths in the order they arrived. Each NAR is
    /// checked and buffered (in memory up to a limit, beyond it in a file under the store's state
    /// directory) until its trailer names the path; then it is restored straight into place.</summary>
    public List<string> ImportPaths(Stream input)
    {
        var imported = new List<string>();
        while (ExportFormat.ReadStart(input))
        {
            using var buffer = new SpillBuffer(Path.Combine(Layout.StateDir, "tmp"));
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var narSize = NarReader.Copy(input, new HashingStream(h, buffer));
            var narHash = h.GetHashAndReset();
            var trailer = ExportFormat.ReadTrailer(input);
            ParseStorePath(trailer.Path);
            foreach (var r in trailer.References) ParseStorePath(r);
            if (trailer.Deriver is { } d) ParseStorePath(d);
            var info = new ValidPathInfo
            {
                Path = trailer.Path, NarHash = ValidPathInfo.FormatNarHash(narHash), NarSize = narSize,
                References = ValidPathInfo.PathSet(trailer.References), Deriver = trailer.Deriver,
            };
            WriteOnce(info.Path, repair: false, real =>
            {
                NarReader.Parse(buffer.OpenRead(), new NarRestorer(real));
                StoreFiles.Canonicalise(real);
                return info;
            });
            imported.Add(info.Path);
        }
        return imported;
    }

}

/// <summary>A write-then-read buffer that keeps the first bytes in memory and spills the rest to an
/// unlinked-on-dispose file, so that buffering a NAR of any size keeps memory flat.</summary>
public sealed class SpillBuffer : Stream
{
    private const int MemoryLimit = 4 << 20;
    private readonly string _spillDir;
    private readonly MemoryStream _memory = new();
    private FileStream? _file;
    private string? _filePath;

    public SpillBuffer(string spillDir) { _spillDir = spillDir; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_file is null && _memory.Length + buffer.Length <= MemoryLimit) { _memory.Write(buffer); return; }
        if (_file is null)
        {
            Directory.CreateDirectory(_spillDir);
            _filePath = Path.Combine(_spillDir, $"import-{Environment.ProcessId}-{Guid.NewGuid():N}");
            _file = new FileStream(_filePath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        }
        _file.Write(buffer);
    }

    /// <summary>Everything written, from the start.</summary>
    public Stream OpenRead()
    {
        _memory.Position = 0;
        if (_file is null) return _memory;
        _file.Flush();
        _file.Position = 0;
        return new ConcatStream(_memory, _file);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file?.Dispose();
            if (_filePath is not null) File.Delete(_filePath);
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _memory.Length + (_file?.Length ?? 0);
    public override long Position { get => Length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
