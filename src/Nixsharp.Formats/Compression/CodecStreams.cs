// Streaming xz (both ways) over the native library (bzip2 is in Bzip2.cs). Each holds one
// fixed-size native buffer: memory stays flat whatever the size of what passes through.
namespace Nixsharp.Formats.Compression;

using System.Runtime.InteropServices;

/// <summary>Compressed data that cannot be decoded; the message says what and where.</summary>
public sealed class CompressionException : IOException
{
    public CompressionException(string message) : base(message) { }
}

/// <summary>Shared shape of the streams below: a native state struct and a native buffer.</summary>
public abstract unsafe class NativeCodecStream : Stream
{
    protected const int BufferSize = 1 << 16;
    protected readonly Stream Inner;
    protected readonly byte* Buffer;
    private readonly bool _leaveOpen;
    private bool _disposed;

    protected NativeCodecStream(Stream inner, bool leaveOpen)
    {
        Inner = inner;
        _leaveOpen = leaveOpen;
        Buffer = (byte*)NativeMemory.Alloc(BufferSize);
    }

    /// <summary>Releases the library's state (called once).</summary>
    protected abstract void EndCodec();

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (disposing) OnDispose();
        }
        finally
        {
            EndCodec();
            NativeMemory.Free(Buffer);
            if (disposing && !_leaveOpen) Inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>What a writer does before its state goes (finishing the stream).</summary>
    protected virtual void OnDispose() { }

    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Turns a missing system library into an error that says what to install.</summary>
    internal static T Load<T>(Func<T> init, string library, string package)
    {
        try { return init(); }
        catch (DllNotFoundException)
        {
            throw new CompressionException($"this needs the system library {library}; install it (Debian: apt-get install {package})");
        }
        catch (EntryPointNotFoundException)
        {
            throw new CompressionException($"the system library {library} is too old or not the expected one");
        }
    }

    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Decodes an .xz stream (concatenated streams allowed) read from `inner`.</summary>
public sealed unsafe class XzDecoderStream : NativeCodecStream
{
    private readonly LibLzma.LzmaStream* _lzma;
    private bool _inputDone, _finished;

    public XzDecoderStream(Stream inner, bool leaveOpen = false) : base(inner, leaveOpen)
    {
        _lzma = (LibLzma.LzmaStream*)NativeMemory.AllocZeroed((nuint)sizeof(LibLzma.LzmaStream));
        var lzma = _lzma;
        int ret = Load(() => LibLzma.StreamDecoder(lzma, ulong.MaxValue, LibLzma.Concatenated), "liblzma.so.5", "liblzma5");
        if (ret != LibLzma.Ok)
        {
            NativeMemory.Free(_lzma);
            _lzma = null;
            throw new CompressionException($"cannot start the xz decoder: {LibLzma.Describe(ret)}");
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ThrowIfDisposed();
        if (_finished || buffer.Length == 0) return 0;
        fixed (byte* output = buffer)
        {
            _lzma->NextOut = output;
            _lzma->AvailOut = (nuint)buffer.Length;
            while (true)
            {
                if (_lzma->AvailIn == 0 && !_inputDone)
                {
                    int n = Inner.Read(new Span<byte>(Buffer, BufferSize));
                    if (n == 0) _inputDone = true;
                    _lzma->NextIn = Buffer;
                    _lzma->AvailIn = (nuint)n;
                }
                int ret = LibLzma.Code(_lzma, _inputDone ? LibLzma.Finish : LibLzma.Run);
                int produced = buffer.Length - (int)_lzma->AvailOut;
                if (ret == LibLzma.StreamEnd) { _finished = true; return produced; }
                if (ret != LibLzma.Ok) throw new CompressionException(LibLzma.Describe(ret));
                if (produced > 0) return produced;
            }
        }
    }

    protected override void EndCodec()
    {
        if (_lzma == null) return;
        LibLzma.End(_lzma);
        NativeMemory.Free(_lzma);
    }

    public override bool CanRead => true;
    public override bool CanWrite => false;
    public override void Flush() { }
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>How the xz encoder is set up: one of liblzma's presets 0-9 (`xz -N`), optionally with a
/// smaller dictionary. The dictionary decides most of the encoder's memory (preset 6's 8 MiB
/// takes about 94 MiB) and all of the decoder's.</summary>
public readonly record struct XzSettings(int Preset, uint? DictionarySize = null)
{
    /// <summary>The dictionary nixsharp's default level stops at: preset 6 then needs about
    /// 25 MiB to compress and 2 MiB to decompress, for output a few percent larger on big paths.</summary>
    public const uint DefaultDictionaryCap = 2 << 20;

    /// <summary>The settings for a compression level: 0-9 are exactly `xz -N` (6 gives the bytes
    /// Nix 2.8 writes); -1, the default, is preset 6 with a dictionary no larger than the input
    /// (`inputSize`, when known: a larger one cannot help) nor DefaultDictionaryCap.</summary>
    public static XzSettings ForLevel(int level, long inputSize = -1)
    {
        if (level >= 0) return new XzSettings(level);
        long dict = inputSize < 0 ? DefaultDictionaryCap : Math.Clamp(inputSize, LibLzma.DictSizeMin, DefaultDictionaryCap);
        return new XzSettings(6, (uint)dict);
    }

    /// <summary>The bytes liblzma allocates for an encoder with these settings.</summary>
    public long EncoderMemory() => NativeCodecStream.Load(Memusage, "liblzma.so.5", "liblzma5");

    private unsafe long Memusage()
    {
        var options = Options();
        var filters = stackalloc LibLzma.LzmaFilter[2];
        Chain(&options, filters);
        ulong bytes = LibLzma.RawEncoderMemusage(filters);
        if (bytes == ulong.MaxValue) throw new CompressionException($"unsupported xz settings: preset {Preset}, dictionary {DictionarySize}");
        return (long)bytes;
    }

    internal unsafe LibLzma.LzmaOptions Options()
    {
        LibLzma.LzmaOptions options = default;
        if (LibLzma.LzmaPreset(&options, (uint)Preset) != 0) throw new CompressionException($"xz has no preset {Preset} (it takes 0 to 9)");
        if (DictionarySize is { } dict) options.DictSize = Math.Max(dict, LibLzma.DictSizeMin);
        return options;
    }

    /// <summary>Writes the one-filter chain (LZMA2 with `options`) into `filters` (two entries).</summary>
    internal static unsafe void Chain(LibLzma.LzmaOptions* options, LibLzma.LzmaFilter* filters)
    {
        filters[0] = new LibLzma.LzmaFilter { Id = LibLzma.FilterLzma2, Options = options };
        filters[1] = new LibLzma.LzmaFilter { Id = LibLzma.VliUnknown, Options = null };
    }
}

/// <summary>Encodes what is written into .xz on `inner` with a CRC64 check, as the xz tool does
/// with the same settings (at preset 6 these are Nix's, and so are the bytes). Disposing
/// finishes the stream.</summary>
public sealed unsafe class XzEncoderStream : NativeCodecStream
{
    private readonly LibLzma.LzmaStream* _lzma;
    private bool _finished;

    public XzEncoderStream(Stream inner, int preset = 6, bool leaveOpen = false) : this(inner, new XzSettings(preset), leaveOpen) { }

    public XzEncoderStream(Stream inner, XzSettings settings, bool leaveOpen = false) : base(inner, leaveOpen)
    {
        _lzma = (LibLzma.LzmaStream*)NativeMemory.AllocZeroed((nuint)sizeof(LibLzma.LzmaStream));
        var lzma = _lzma;
        int ret;
        try
        {
            ret = Load(() => Start(lzma, settings), "liblzma.so.5", "liblzma5");
        }
        catch
        {
            NativeMemory.Free(_lzma);
            _lzma = null;
            throw;
        }
        if (ret != LibLzma.Ok)
        {
            NativeMemory.Free(_lzma);
            _lzma = null;
            throw new CompressionException($"cannot start the xz encoder: {LibLzma.Describe(ret)}");
        }
        _lzma->NextOut = Buffer;
        _lzma->AvailOut = BufferSize;
    }

    private static int Start(LibLzma.LzmaStream* lzma, XzSettings settings)
    {
        // A plain preset goes through lzma_easy_encoder, the call Nix makes, so its bytes are Nix's.
        if (settings.DictionarySize is null) return LibLzma.EasyEncoder(lzma, (uint)settings.Preset, LibLzma.CheckCrc64);
        var options = settings.Options();
        var filters = stackalloc LibLzma.LzmaFilter[2];
        XzSettings.Chain(&options, filters);
        return LibLzma.StreamEncoder(lzma, filters, LibLzma.CheckCrc64);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        ThrowIfDisposed();
        if (_finished) throw new InvalidOperationException("the xz stream is finished");
        fixed (byte* input = data)
        {
            _lzma->NextIn = input;
            _lzma->AvailIn = (nuint)data.Length;
            while (_lzma->AvailIn > 0) Step(LibLzma.Run);
            _lzma->NextIn = null;
        }
    }

    /// <summary>Writes the end of the .xz stream (idempotent).</summary>
    public void Finish()
    {
        if (_finished) return;
        while (!Step(LibLzma.Finish)) { }
        Drain();
        _finished = true;
    }

    /// <summary>One call into liblzma; true at the end of the stream.</summary>
    private bool Step(int action)
    {
        int ret = LibLzma.Code(_lzma, action);
        if (ret != LibLzma.Ok && ret != LibLzma.StreamEnd) throw new CompressionException($"xz compression failed: {LibLzma.Describe(ret)}");
        if (_lzma->AvailOut == 0) Drain();
        return ret == LibLzma.StreamEnd;
    }

    private void Drain()
    {
        int n = BufferSize - (int)_lzma->AvailOut;
        if (n > 0) Inner.Write(new ReadOnlySpan<byte>(Buffer, n));
        _lzma->NextOut = Buffer;
        _lzma->AvailOut = BufferSize;
    }

    protected override void OnDispose() => Finish();

    protected override void EndCodec()
    {
        if (_lzma == null) return;
        LibLzma.End(_lzma);
        NativeMemory.Free(_lzma);
    }

    public override bool CanRead => false;
    public override bool CanWrite => true;
    public override void Flush() => Inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
