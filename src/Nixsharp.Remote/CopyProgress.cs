// Progress of a copy, whatever the transport (ssh://, binary caches): what it reports, and the
// stream wrappers that count the bytes moved. Reports may come from several threads at once when
// paths are copied in parallel.
namespace Nixsharp.Remote;

using Nixsharp.Formats.Streams;

/// <summary>What a copy reports as it goes (progress output is the caller's business). Paths
/// copied in parallel report from their own threads.</summary>
public interface ICopyProgress
{
    void Planned(int pathsToCopy, long bytesToCopy, int alreadyPresent);
    void PathStarted(string path, long narSize);
    void BytesMoved(long bytes);
    void PathDone(string path);
}

/// <summary>Reports nothing.</summary>
public sealed class NoCopyProgress : ICopyProgress
{
    public static readonly NoCopyProgress Instance = new();
    public void Planned(int pathsToCopy, long bytesToCopy, int alreadyPresent) { }
    public void PathStarted(string path, long narSize) { }
    public void BytesMoved(long bytes) { }
    public void PathDone(string path) { }
}

/// <summary>Counts bytes written through it for progress.</summary>
internal sealed class ProgressWriteStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly ICopyProgress _progress;
    public ProgressWriteStream(Stream inner, ICopyProgress progress) { _inner = inner; _progress = progress; }
    public override void Write(ReadOnlySpan<byte> buffer) { _inner.Write(buffer); _progress.BytesMoved(buffer.Length); }
    public override void Flush() => _inner.Flush();
}

/// <summary>Counts bytes read through it, for progress and to tell whether a NAR was consumed.</summary>
internal sealed class ProgressReadStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly ICopyProgress _progress;
    public long BytesRead { get; private set; }
    public ProgressReadStream(Stream inner, ICopyProgress progress) { _inner = inner; _progress = progress; }
    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        BytesRead += n;
        _progress.BytesMoved(n);
        return n;
    }
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
}
