// Bindings to the system's liblzma (xz): only the few entry points the codec streams use
// (bzip2's are in Bzip2.cs). The stream structs live in native memory, so the library may keep
// pointers into them between calls, and the garbage collector never moves them.
namespace Nixsharp.Formats.Compression;

using System.Runtime.InteropServices;

internal static unsafe partial class LibLzma
{
    private const string Library = "liblzma.so.5";

    public const int Ok = 0, StreamEnd = 1, MemError = 5, FormatError = 7, OptionsError = 8, DataError = 9, BufError = 10;
    public const int Run = 0, Finish = 3;
    public const int CheckCrc64 = 4;
    /// <summary>Decode concatenated .xz streams as one, as the xz tool (and Nix) do.</summary>
    public const uint Concatenated = 0x08;

    /// <summary>lzma_stream of liblzma 5.x (136 bytes on 64-bit Linux); zero is its initial state.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LzmaStream
    {
        public byte* NextIn;
        public nuint AvailIn;
        public ulong TotalIn;
        public byte* NextOut;
        public nuint AvailOut;
        public ulong TotalOut;
        public void* Allocator;
        public void* Internal;
        public void* Reserved1, Reserved2, Reserved3, Reserved4;
        public ulong ReservedInt1, ReservedInt2;
        public nuint ReservedInt3, ReservedInt4;
        public int ReservedEnum1, ReservedEnum2;
    }

    /// <summary>lzma_options_lzma of liblzma 5.x (112 bytes on 64-bit Linux; the tail is reserved
    /// space that lzma_lzma_preset fills in).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 112)]
    public struct LzmaOptions
    {
        public uint DictSize;
        public byte* PresetDict;
        public uint PresetDictSize;
        public uint Lc, Lp, Pb;
        public int Mode;
        public uint NiceLen;
        public int MatchFinder;
        public uint Depth;
    }

    /// <summary>lzma_filter: a filter id and its options; a chain ends with id VliUnknown.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LzmaFilter
    {
        public ulong Id;
        public void* Options;
    }

    public const ulong FilterLzma2 = 0x21, VliUnknown = ulong.MaxValue;
    public const uint DictSizeMin = 4096;

    [LibraryImport(Library, EntryPoint = "lzma_easy_encoder")]
    public static partial int EasyEncoder(LzmaStream* stream, uint preset, int check);

    /// <summary>Fills `options` with a preset's settings; returns nonzero (true) for an unknown preset.</summary>
    [LibraryImport(Library, EntryPoint = "lzma_lzma_preset")]
    public static partial byte LzmaPreset(LzmaOptions* options, uint preset);

    [LibraryImport(Library, EntryPoint = "lzma_stream_encoder")]
    public static partial int StreamEncoder(LzmaStream* stream, LzmaFilter* filters, int check);

    /// <summary>The bytes an encoder with these filters allocates (ulong.MaxValue for bad options).</summary>
    [LibraryImport(Library, EntryPoint = "lzma_raw_encoder_memusage")]
    public static partial ulong RawEncoderMemusage(LzmaFilter* filters);

    [LibraryImport(Library, EntryPoint = "lzma_stream_decoder")]
    public static partial int StreamDecoder(LzmaStream* stream, ulong memoryLimit, uint flags);

    [LibraryImport(Library, EntryPoint = "lzma_code")]
    public static partial int Code(LzmaStream* stream, int action);

    [LibraryImport(Library, EntryPoint = "lzma_end")]
    public static partial void End(LzmaStream* stream);

    public static string Describe(int ret) => ret switch
    {
        MemError => "out of memory",
        FormatError => "not in the xz format",
        OptionsError => "unsupported xz options",
        DataError => "the xz data is corrupt",
        BufError => "the xz data is truncated",
        _ => $"liblzma error {ret}",
    };
}
