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
    protected static T Load<T>(Func<T> init, string library, string package)
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

/// <summary>Encodes what is written into .xz on `inner`, as `xz -6` does (Nix's settings: preset
/// 6, CRC64 check), so the bytes equal those Nix writes. Disposing finishes the stream.</summary>
public sealed unsafe class XzEncoderStream : NativeCodecStream
{
    private readonly LibLzma.LzmaStream* _lzma;
    private bool _finished;

    public XzEncoderStream(Stream inner, int preset = 6, bool leaveOpen = false) : base(inner, leaveOpen)
    {
        _lzma = (LibLzma.LzmaStream*)NativeMemory.AllocZeroed((nuint)sizeof(LibLzma.LzmaStream));
        var lzma = _lzma;
        int ret = Load(() => LibLzma.EasyEncoder(lzma, (uint)preset, LibLzma.CheckCrc64), "liblzma.so.5", "liblzma5");
        if (ret != LibLzma.Ok)
        {
            NativeMemory.Free(_lzma);
            _lzma = null;
            throw new CompressionException($"cannot start the xz encoder: {LibLzma.Describe(ret)}");
        }
        _lzma->NextOut = Buffer;
        _lzma->AvailOut = BufferSize;
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
