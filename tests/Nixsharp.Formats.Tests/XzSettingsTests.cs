// xz encoder settings: a plain preset writes what `xz -N` writes (at 6, Nix's bytes); the default
// level is preset 6 with a dictionary cut to the input or to 2 MiB, which writes what the xz tool
// writes with that dictionary, decodes everywhere, and needs a fraction of preset 6's memory.
namespace Nixsharp.Formats.Tests;

using Nixsharp.Formats.Compression;
using Xunit;

public class XzSettingsTests
{
    private static bool XzToolInstalled => File.Exists("/usr/bin/xz");

    /// <summary>Text-like data that compresses (so the match finder has work), deterministic.</summary>
    private static byte[] Sample(int length)
    {
        var words = new[] { "store", "path", "nix", "derivation", "closure", "output", "\n", "lib", "bin", "/" };
        var random = new Random(length);
        var data = new byte[length];
        int at = 0;
        while (at < length)
        {
            var w = words[random.Next(words.Length)];
            for (int i = 0; i < w.Length && at < length; i++) data[at++] = (byte)w[i];
            if (at < length && random.Next(8) == 0) data[at++] = (byte)random.Next(256);
        }
        return data;
    }

    private static byte[] Encode(XzSettings settings, byte[] data)
    {
        var output = new MemoryStream();
        using (var encoder = new XzEncoderStream(output, settings, leaveOpen: true))
        {
            for (int at = 0; at < data.Length; at += 50_000) encoder.Write(data, at, Math.Min(50_000, data.Length - at));
        }
        return output.ToArray();
    }

    /// <summary>What the xz tool writes for `data` on its standard input (so it cannot see the size).</summary>
    private static byte[] XzTool(string options, byte[] data) =>
        ToolPipe.Run("xz", $"-T1 --format=xz --check=crc64 {options} -c", data);

    [Theory]
    [InlineData(0, 4096u)]
    [InlineData(100, 4096u)]
    [InlineData(300_000, 300_000u)]
    [InlineData(2 << 20, 2u << 20)]
    [InlineData(200_000_000, 2u << 20)]
    public void TheDefaultLevelCutsPreset6sDictionaryToTheInputAndTo2MiB(long inputSize, uint dictionary)
    {
        Assert.Equal(new XzSettings(6, dictionary), XzSettings.ForLevel(-1, inputSize));
    }

    [Fact]
    public void ExplicitLevelsAreThePlainPresets()
    {
        for (int level = 0; level <= 9; level++) Assert.Equal(new XzSettings(level), XzSettings.ForLevel(level, 1000));
        Assert.Equal(new XzSettings(6, XzSettings.DefaultDictionaryCap), XzSettings.ForLevel(-1));
    }

    [Fact]
    public void TheDefaultNeedsAQuarterOfPreset6sMemoryToCompress()
    {
        long preset6 = XzSettings.ForLevel(6).EncoderMemory();
        long big = XzSettings.ForLevel(-1, 200_000_000).EncoderMemory();
        long small = XzSettings.ForLevel(-1, 50_000).EncoderMemory();
        Assert.InRange(preset6, 90L << 20, 100L << 20);
        Assert.InRange(big, 20L << 20, 28L << 20);
        Assert.InRange(small, 1L << 20, 4L << 20);
        Assert.Equal(big, CompressionMethods.CompressorMemory("xz", -1, 200_000_000));
        Assert.Equal(preset6, CompressionMethods.CompressorMemory("xz", 6, 200_000_000));
        Assert.Equal(0, CompressionMethods.CompressorMemory("none"));
        Assert.InRange(CompressionMethods.CompressorMemory("zstd"), 1L << 10, 8L << 20);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20_000)]
    [InlineData(3 << 20)]
    public void ACutDictionaryWritesWhatTheXzToolWritesAndDecodesBack(int length)
    {
        var data = Sample(length);
        var settings = XzSettings.ForLevel(-1, length);
        var ours = Encode(settings, data);
        if (XzToolInstalled) Assert.Equal(XzTool($"--lzma2=preset=6,dict={settings.DictionarySize}", data), ours);
        using var decoder = CompressionMethods.OpenDecompressor("xz", new MemoryStream(ours));
        var back = new MemoryStream();
        decoder.CopyTo(back);
        Assert.Equal(data, back.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void APlainPresetWritesWhatXzDashNWrites(int preset)
    {
        if (!XzToolInstalled) return;
        var data = Sample(500_000);
        Assert.Equal(XzTool($"-{preset}", data), Encode(new XzSettings(preset), data));
    }

    [Fact]
    public void AnUnknownPresetIsACompressionError()
    {
        Assert.Contains("preset 12", Assert.Throws<CompressionException>(() => XzSettings.ForLevel(12).EncoderMemory()).Message);
        Assert.Throws<CompressionException>(() => new XzEncoderStream(Stream.Null, new XzSettings(12, 1 << 20)));
    }
}
