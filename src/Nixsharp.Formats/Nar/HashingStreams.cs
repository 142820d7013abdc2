// Streams that hash (and count) what passes through them: the one way NAR hashes, file hashes and
// sizes are taken while data is written or read, by the store, the builder and the transports.
namespace Nixsharp.Formats.Nar;

using System.Security.Cryptography;
using Nixsharp.Formats.Streams;

/// <summary>A write-only stream that feeds an incremental hash and counts bytes, passing them on to
/// Inner when one is set (it may be set later, e.g. once a compressor exists); never closes Inner.</summary>
public sealed class HashingStream : WriteOnlyStream
{
    private readonly IncrementalHash _hash;
    public Stream? Inner { get; set; }
    public long Length64 { get; private set; }

    public HashingStream(IncrementalHash hash, Stream? inner = null) { _hash = hash; Inner = inner; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        Length64 += buffer.Length;
        Inner?.Write(buffer);
    }

    public override long Length => Length64;
    public override long Position { get => Length64; set => throw new NotSupportedException(); }
    public override void Flush() => Inner?.Flush();
}

/// <summary>Reads through to an inner stream, hashing and counting the bytes that pass. Disposing
/// it disposes the inner stream only when asked to own it.</summary>
public sealed class HashingReadStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash;
    private readonly bool _ownsInner;
    public long BytesRead { get; private set; }

    public HashingReadStream(Stream inner, IncrementalHash hash, bool ownsInner = false)
    {
        _inner = inner;
        _hash = hash;
        _ownsInner = ownsInner;
    }

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        _hash.AppendData(buffer[..n]);
        BytesRead += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsInner) _inner.Dispose();
        base.Dispose(disposing);
    }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
}
