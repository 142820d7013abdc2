// Nix's serialisation primitives, shared by the export format and the serve/worker protocols:
// 64-bit little-endian integers, and strings as a length, the bytes, and zero padding to 8 bytes.
namespace Nixsharp.Formats.Wire;

using System.Buffers.Binary;
using System.Text;

/// <summary>Malformed or truncated data in one of Nix's wire formats.</summary>
public sealed class WireFormatException : FormatException
{
    public WireFormatException(string message) : base(message) { }
}

public static class WireStream
{
    private static readonly byte[] Zeros = new byte[8];

    public static void WriteU64(Stream s, ulong n)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, n);
        s.Write(b);
    }

    public static void WriteBytes(Stream s, ReadOnlySpan<byte> bytes)
    {
        WriteU64(s, (ulong)bytes.Length);
        s.Write(bytes);
        int pad = (8 - bytes.Length % 8) % 8;
        if (pad > 0) s.Write(Zeros, 0, pad);
    }

    public static void WriteString(Stream s, string text) => WriteBytes(s, Encoding.UTF8.GetBytes(text));

    public static void WriteStrings(Stream s, IReadOnlyCollection<string> items)
    {
        WriteU64(s, (ulong)items.Count);
        foreach (var i in items) WriteString(s, i);
    }

    public static void ReadExactly(Stream s, Span<byte> into, string what)
    {
        int done = 0;
        while (done < into.Length)
        {
            int n = s.Read(into[done..]);
            if (n <= 0) throw new WireFormatException($"unexpected end of input while reading {what}");
            done += n;
        }
    }

    public static ulong ReadU64(Stream s, string what = "a number")
    {
        Span<byte> b = stackalloc byte[8];
        ReadExactly(s, b, what);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>A string of at most maxLength bytes (an absurd length is refused before any
    /// allocation), with its padding checked to be zero.</summary>
    public static byte[] ReadBytes(Stream s, int maxLength, string what)
    {
        var len = ReadU64(s, what);
        if (len > (ulong)maxLength) throw new WireFormatException($"{what} is {len} bytes long, more than the {maxLength} allowed");
        var bytes = new byte[len];
        ReadExactly(s, bytes, what);
        int pad = (int)((8 - len % 8) % 8);
        if (pad > 0)
        {
            Span<byte> p = stackalloc byte[8];
            ReadExactly(s, p[..pad], what);
            foreach (var b in p[..pad]) if (b != 0) throw new WireFormatException($"non-zero padding after {what}");
        }
        return bytes;
    }

    public static string ReadString(Stream s, int maxLength, string what)
    {
        var bytes = ReadBytes(s, maxLength, what);
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new WireFormatException($"{what} is not valid UTF-8"); }
    }

    public static List<string> ReadStrings(Stream s, int maxCount, int maxLength, string what)
    {
        var n = ReadU64(s, what);
        if (n > (ulong)maxCount) throw new WireFormatException($"{what} has {n} entries, more than the {maxCount} allowed");
        var list = new List<string>((int)n);
        for (ulong i = 0; i < n; i++) list.Add(ReadString(s, maxLength, what));
        return list;
    }
}
