// bzip2 through libbz2, checked against the bzip2 tool: what nixsharp compresses the tool
// decompresses (and the other way), written in pieces of any size; concatenated streams are read
// whole; corrupt and truncated data are refused.
namespace Nixsharp.Formats.Tests;

using Nixsharp.Formats.Compression;
using Xunit;

public class Bzip2Tests
{
    private static byte[] Sample(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        // Half text-like (compressible), half random bytes.
        for (int i = 0; i < length; i++) data[i] = i % 2000 < 1000 ? (byte)('a' + i % 7) : (byte)random.Next(256);
        return data;
    }

    private static byte[] Compress(byte[] data, int pieceSize)
    {
        var ms = new MemoryStream();
        using (var z = new Bzip2CompressStream(ms, leaveOpen: true))
            for (int at = 0; at < data.Length; at += pieceSize)
                z.Write(data, at, Math.Min(pieceSize, data.Length - at));
        return ms.ToArray();
    }

    private static byte[] Tool(string args, byte[] input) => ToolPipe.Run("bzip2", args, input);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(100_000, 7)]
    [InlineData(2_500_000, 65536)] // several 900k blocks
    public void WhatIsCompressedDecompressesToTheSameBytes(int length, int pieceSize)
    {
        if (!Bzip2.IsAvailable) return;
        var data = Sample(length, length);
        var compressed = Compress(data, pieceSize);
        Assert.Equal(data, Bzip2.Decompress(compressed));
        if (File.Exists("/usr/bin/bzip2"))
        {
            Assert.Equal(data, Tool("-dc", compressed));
            Assert.Equal(data, Bzip2.Decompress(Tool("-c", data)));
        }
    }

    [Fact]
    public void ConcatenatedStreamsAreReadWhole()
    {
        if (!Bzip2.IsAvailable) return;
        var a = Sample(5000, 1);
        var b = Sample(7000, 2);
        var both = Compress(a, 100).Concat(Compress(b, 100)).ToArray();
        Assert.Equal(a.Concat(b).ToArray(), Bzip2.Decompress(both));
    }

    [Fact]
    public void CorruptOrTruncatedDataIsRefused()
    {
        if (!Bzip2.IsAvailable) return;
        Assert.Throws<CompressionException>(() => Bzip2.Decompress("garbage\n"u8));
        var compressed = Compress(Sample(100_000, 3), 4096);
        Assert.Throws<CompressionException>(() => Bzip2.Decompress(compressed.AsSpan(0, compressed.Length / 2)));
        var flipped = (byte[])compressed.Clone();
        flipped[flipped.Length / 2] ^= 0xff;
        Assert.Throws<CompressionException>(() => Bzip2.Decompress(flipped));
    }
}
