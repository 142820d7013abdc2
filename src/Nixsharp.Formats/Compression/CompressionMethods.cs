// The compression methods of binary caches, by the names narinfo files and cache URLs use.
namespace Nixsharp.Formats.Compression;

public static class CompressionMethods
{
    /// <summary>Methods nixsharp can write.</summary>
    public static readonly IReadOnlyList<string> Writable = ["xz", "zstd", "none"];

    /// <summary>Methods nixsharp can read.</summary>
    public static readonly IReadOnlyList<string> Readable = ["xz", "zstd", "bzip2", "none"];

    /// <summary>What Nix appends to ".nar" for a method: nar/HASH.nar.xz, .nar.zst, .nar.bz2, .nar.</summary>
    public static string Extension(string method) => method switch
    {
        "xz" => ".xz",
        "zstd" => ".zst",
        "bzip2" => ".bz2",
        "none" => "",
        _ => throw Unsupported(method, Writable),
    };

    /// <summary>A stream that compresses into `output`; disposing it finishes the compressed data
    /// (and leaves `output` open).</summary>
    public static Stream OpenCompressor(string method, Stream output) => method switch
    {
        "xz" => new XzEncoderStream(output, leaveOpen: true),
        "zstd" => new ZstdSharp.CompressionStream(output, level: 3, leaveOpen: true),
        "none" => new NonClosingStream(output),
        _ => throw Unsupported(method, Writable),
    };

    /// <summary>A stream of the decompressed contents of `input` (disposing it disposes `input`).</summary>
    public static Stream OpenDecompressor(string method, Stream input) => method switch
    {
        "xz" => new XzDecoderStream(input),
        "zstd" => new ZstdDecoderStream(input),
        "bzip2" => new Bzip2DecompressStream(input),
        "none" => input,
        _ => throw Unsupported(method, Readable),
    };

    private static NotSupportedException Unsupported(string method, IReadOnlyList<string> known) =>
        new($"compression method '{method}' is not supported (nixsharp knows {string.Join(", ", known)})");

    /// <summary>Passes writes through; disposing it leaves the inner stream open.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>ZstdSharp's decoder, its errors (and a frame cut short) turned into CompressionException.</summary>
    private sealed class ZstdDecoderStream(Stream input) : Stream
    {
        private readonly ZstdSharp.DecompressionStream _inner = new(input);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try { return _inner.Read(buffer); }
            catch (ZstdSharp.ZstdException e) { throw new CompressionException($"the zstd data is corrupt: {e.Message}"); }
            catch (EndOfStreamException) { throw new CompressionException("the zstd data is truncated"); }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
