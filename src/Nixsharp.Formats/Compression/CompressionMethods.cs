// The compression methods of binary caches, by the names narinfo files and cache URLs use.
namespace Nixsharp.Formats.Compression;

using Nixsharp.Formats.Streams;

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

    /// <summary>A compressing stream writing to `output` (left open). `inputSize` is how many bytes
    /// will be written, when known. `level` -1 is the default: zstd level 3, as Nix; for xz, preset
    /// 6 with a dictionary of at most 2 MiB (XzSettings.ForLevel), which keeps the encoder near
    /// 25 MiB where Nix's exact preset 6 takes about 94 MiB. Otherwise xz presets 0-9 exactly as
    /// `xz -N` (6 writes Nix's bytes) and zstd levels 1-19. See CheckLevel.</summary>
    public static Stream OpenCompressor(string method, Stream output, int level = -1, long inputSize = -1) => method switch
    {
        "xz" => new XzEncoderStream(output, XzSettings.ForLevel(level, inputSize), leaveOpen: true),
        "zstd" => new ZstdSharp.CompressionStream(output, level: ZstdLevel(level), leaveOpen: true),
        "none" => new NonClosingStream(output),
        _ => throw Unsupported(method, Writable),
    };

    /// <summary>About how many bytes the compressor OpenCompressor gives for these arguments holds
    /// while it works, so that callers running several at once can keep the sum bounded.</summary>
    public static long CompressorMemory(string method, int level = -1, long inputSize = -1) => method switch
    {
        "xz" => XzSettings.ForLevel(level, inputSize).EncoderMemory(),
        "zstd" => (long)ZstdSharp.Unsafe.Methods.ZSTD_estimateCStreamSize(ZstdLevel(level)),
        "none" => 0,
        _ => throw Unsupported(method, Writable),
    };

    private static int ZstdLevel(int level) => level < 0 ? 3 : level;

    /// <summary>Null when `level` suits `method` (-1, Nix's default, always does), else why not.</summary>
    public static string? CheckLevel(string method, int level) => (method, level) switch
    {
        (_, -1) => null,
        ("xz", >= 0 and <= 9) => null,
        ("zstd", >= 1 and <= 19) => null,
        ("none", _) => null,
        ("xz", _) => "xz takes compression levels 0 to 9",
        ("zstd", _) => "zstd takes compression levels 1 to 19",
        _ => $"compression method '{method}' takes no level",
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
    private sealed class NonClosingStream(Stream inner) : WriteOnlyStream
    {
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void Flush() => inner.Flush();
    }

    /// <summary>ZstdSharp's decoder, its errors (and a frame cut short) turned into CompressionException.</summary>
    private sealed class ZstdDecoderStream(Stream input) : ReadOnlyStream
    {
        private readonly ZstdSharp.DecompressionStream _inner = new(input);

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
    }
}
