// bzip2 streams through the system's libbz2 (libbz2.so.1.0, present wherever Nix is), the format
// Nix keeps build logs in. The library is loaded when first used; IsAvailable says whether it can
// be, so that callers can fall back to plain files instead of failing.
namespace Nixsharp.Formats.Compression;

using System.Runtime.InteropServices;
using Nixsharp.Formats.Streams;

public static partial class Bzip2
{
    private const string Library = "libbz2.so.1.0";

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!NativeLibrary.TryLoad(Library, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    });

    /// <summary>What a libbz2 error code means, for messages.</summary>
    internal static string Describe(int rc) => rc switch
    {
        -3 => "out of memory decompressing bzip2 data",
        -4 => "the bzip2 data is corrupt",
        -5 => "the data is not in the bzip2 format",
        -7 => "the bzip2 data is truncated",
        _ => $"bzip2 data is corrupt (libbz2 error {rc})",
    };

    /// <summary>Whether libbz2 can be loaded on this machine.</summary>
    public static bool IsAvailable => Available.Value;

    /// <summary>Decompresses a whole bzip2 file's contents (one or more concatenated streams).
    /// Throws CompressionException when they are not bzip2 data.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> compressed)
    {
        using var output = new MemoryStream();
        using (var d = new Bzip2DecompressStream(new MemoryStream(compressed.ToArray())))
            d.CopyTo(output);
        return output.ToArray();
    }

    // libbz2's stream state (bz_stream); it keeps a pointer to it, so it lives in native memory.
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct BzStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public uint TotalInLo32;
        public uint TotalInHi32;
        public byte* NextOut;
        public uint AvailOut;
        public uint TotalOutLo32;
        public uint TotalOutHi32;
        public nint State;
        public nint BzAlloc;
        public nint BzFree;
        public nint Opaque;
    }

    internal const int Run = 0, Finish = 2;
    internal const int Ok = 0, RunOk = 1, FinishOk = 3, StreamEnd = 4;

    [LibraryImport(Library, EntryPoint = "BZ2_bzCompressInit")]
    internal static unsafe partial int CompressInit(BzStream* strm, int blockSize100k, int verbosity, int workFactor);

    [LibraryImport(Library, EntryPoint = "BZ2_bzCompress")]
    internal static unsafe partial int Compress(BzStream* strm, int action);

    [LibraryImport(Library, EntryPoint = "BZ2_bzCompressEnd")]
    internal static unsafe partial int CompressEnd(BzStream* strm);

    [LibraryImport(Library, EntryPoint = "BZ2_bzDecompressInit")]
    internal static unsafe partial int DecompressInit(BzStream* strm, int verbosity, int small);

    [LibraryImport(Library, EntryPoint = "BZ2_bzDecompress")]
    internal static unsafe partial int Decompress(BzStream* strm);

    [LibraryImport(Library, EntryPoint = "BZ2_bzDecompressEnd")]
    internal static unsafe partial int DecompressEnd(BzStream* strm);
}

/// <summary>A write-only stream that bzip2-compresses into another stream; the compressed stream
/// is complete once this one is disposed.</summary>
public sealed unsafe class Bzip2CompressStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private Bzip2.BzStream* _strm;
    private readonly byte[] _out = new byte[1 << 16];

    public Bzip2CompressStream(Stream inner, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _strm = (Bzip2.BzStream*)NativeMemory.AllocZeroed((nuint)sizeof(Bzip2.BzStream));
        // Block size 9 (900k), as the bzip2 tool uses by default.
        int rc = Bzip2.CompressInit(_strm, 9, 0, 0);
        if (rc != Bzip2.Ok)
        {
            NativeMemory.Free(_strm);
            _strm = null;
            throw new IOException($"bzip2 compression could not start (error {rc})");
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_strm is null, this);
        fixed (byte* input = buffer)
        {
            _strm->NextIn = input;
            _strm->AvailIn = (uint)buffer.Length;
            while (_strm->AvailIn > 0) Step(Bzip2.Run, Bzip2.RunOk);
            _strm->NextIn = null;
        }
    }

    /// <summary>Runs the compressor once and writes what it produced.</summary>
    private int Step(int action, int expected)
    {
        int rc;
        fixed (byte* output = _out)
        {
            _strm->NextOut = output;
            _strm->AvailOut = (uint)_out.Length;
            rc = Bzip2.Compress(_strm, action);
            int produced = _out.Length - (int)_strm->AvailOut;
            _strm->NextOut = null;
            if (rc != expected && rc != Bzip2.StreamEnd) throw new IOException($"bzip2 compression failed (error {rc})");
            _inner.Write(_out, 0, produced);
        }
        return rc;
    }

    protected override void Dispose(bool disposing)
    {
        if (_strm is not null)
        {
            try
            {
                if (disposing)
                {
                    while (Step(Bzip2.Finish, Bzip2.FinishOk) != Bzip2.StreamEnd) { }
                    _inner.Flush();
                }
            }
            finally
            {
                Bzip2.CompressEnd(_strm);
                NativeMemory.Free(_strm);
                _strm = null;
                if (disposing && !_leaveOpen) _inner.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    public override void Flush() => _inner.Flush();
}

/// <summary>A read-only stream of what a bzip2 stream (or several, concatenated, as the bzip2 tool
/// accepts) decompresses to. Corrupt or truncated input throws CompressionException.</summary>
public sealed unsafe class Bzip2DecompressStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private Bzip2.BzStream* _strm;
    private readonly byte[] _in = new byte[1 << 16];
    private int _inStart, _inEnd;
    private bool _started, _finished;

    public Bzip2DecompressStream(Stream inner, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _strm = (Bzip2.BzStream*)NativeMemory.AllocZeroed((nuint)sizeof(Bzip2.BzStream));
    }

    private bool FillInput()
    {
        if (_inStart < _inEnd) return true;
        _inStart = 0;
        _inEnd = _inner.Read(_in, 0, _in.Length);
        return _inEnd > 0;
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_strm is null, this);
        if (buffer.Length == 0) return 0;
        while (!_finished)
        {
            if (!_started)
            {
                // A new stream starts only where there is more input; none means the end.
                if (!FillInput()) { _finished = true; break; }
                int init;
                try { init = Bzip2.DecompressInit(_strm, 0, 0); }
                catch (DllNotFoundException)
                {
                    throw new CompressionException("bzip2 needs the system's libbz2.so.1.0, which is not installed (apt-get install libbz2-1.0)");
                }
                if (init != Bzip2.Ok) throw new CompressionException($"bzip2 decompression could not start (error {init})");
                _started = true;
            }
            bool haveInput = FillInput();
            int rc, produced;
            fixed (byte* input = _in)
            fixed (byte* output = buffer)
            {
                _strm->NextIn = input + _inStart;
                _strm->AvailIn = (uint)(_inEnd - _inStart);
                _strm->NextOut = output;
                _strm->AvailOut = (uint)buffer.Length;
                rc = Bzip2.Decompress(_strm);
                _inStart = _inEnd - (int)_strm->AvailIn;
                produced = buffer.Length - (int)_strm->AvailOut;
                _strm->NextIn = null;
                _strm->NextOut = null;
            }
            if (rc == Bzip2.StreamEnd)
            {
                Bzip2.DecompressEnd(_strm);
                _started = false;
            }
            else if (rc != Bzip2.Ok) throw new CompressionException(Bzip2.Describe(rc));
            else if (produced == 0 && !haveInput) throw new CompressionException("bzip2 data ends in the middle of a stream");
            if (produced > 0) return produced;
        }
        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (_strm is not null)
        {
            if (_started) Bzip2.DecompressEnd(_strm);
            NativeMemory.Free(_strm);
            _strm = null;
            if (disposing && !_leaveOpen) _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
