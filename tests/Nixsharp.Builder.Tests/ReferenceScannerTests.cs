// Reference scanning finds a candidate's hash part wherever it is in the stream, however the
// stream is cut into writes, and nothing else; hashing modulo a hash part equals plain hashing
// when the part does not occur.
namespace Nixsharp.Builder.Tests;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Builder.Outputs;
using Nixsharp.Formats.Hashes;
using Xunit;

public class ReferenceScannerTests
{
    private static string RandomPath(Random rng, string name)
    {
        var bytes = new byte[20];
        rng.NextBytes(bytes);
        return "/nix/store/" + NixBase32.Encode(bytes) + "-" + name;
    }

    private static string HashPart(string path) => path.Substring(11, 32);

    [Fact]
    public void FindsHashPartsAcrossEveryWriteBoundary()
    {
        var rng = new Random(1);
        var a = RandomPath(rng, "a");
        var b = RandomPath(rng, "b");
        var absent = RandomPath(rng, "absent");
        var data = Encoding.ASCII.GetBytes("xx " + HashPart(a) + " yy" + new string('z', 100) + "/" + HashPart(b));
        // Every way of cutting the data in two, and one-byte writes.
        for (int cut = 0; cut <= data.Length; cut++)
        {
            var s = new ReferenceScanner(new[] { a, b, absent });
            s.Feed(data.AsSpan(0, cut));
            s.Feed(data.AsSpan(cut));
            Assert.Equal(new[] { a, b }, s.Found.Order(StringComparer.Ordinal).ToArray());
        }
        var bytewise = new ReferenceScanner(new[] { a, b, absent });
        foreach (var x in data) bytewise.Feed(new[] { x });
        Assert.Equal(2, bytewise.Found.Count);
    }

    [Fact]
    public void IgnoresNearMissesAndFindsHashesInsideLongRunsOfBase32()
    {
        var rng = new Random(2);
        var a = RandomPath(rng, "a");
        var h = HashPart(a);
        var s = new ReferenceScanner(new[] { a });
        // 31 characters of the hash, then one changed character: not a reference.
        s.Feed(Encoding.ASCII.GetBytes(h[..31] + (h[31] == '0' ? '1' : '0') + " " + h[..16] + "-" + h[16..]));
        Assert.Empty(s.Found);
        // Embedded in a long run of base-32 characters: found (Nix looks at every window).
        s.Feed(Encoding.ASCII.GetBytes("0123456789abcd" + h + "zzzz"));
        Assert.Single(s.Found);
    }

    [Fact]
    public void ScanningStreamHashesWhatPasses()
    {
        var data = new byte[200_000];
        new Random(3).NextBytes(data);
        using var stream = new ScanningHashStream(new ReferenceScanner(Array.Empty<string>()));
        stream.Write(data, 0, 12345);
        stream.Write(data, 12345, data.Length - 12345);
        Assert.Equal(SHA256.HashData(data), stream.GetHash());
        Assert.Equal(data.Length, stream.BytesWritten);
    }

    [Fact]
    public void HashModuloIsPlainHashWithoutOccurrencesAndIgnoresWhereTheHashPartSits()
    {
        var data = Encoding.ASCII.GetBytes(new string('q', 70_000));
        using (var plain = new HashModuloStream("sha256", "00000000000000000000000000000000"))
        {
            plain.Write(data);
            Assert.Equal(SHA256.HashData(data), plain.Finish());
        }
        // With the hash part present, the result is the hash of the data with it zeroed plus "|pos".
        var part = "abcdfghijklmnpqrsvwxyz0123456789";
        var withPart = Encoding.ASCII.GetBytes("head " + part + " tail");
        var expected = SHA256.HashData(Encoding.ASCII.GetBytes("head ").Concat(new byte[32]).Concat(Encoding.ASCII.GetBytes(" tail|5")).ToArray());
        for (int cut = 0; cut <= withPart.Length; cut++)
        {
            using var m = new HashModuloStream("sha256", part);
            m.Write(withPart.AsSpan(0, cut));
            m.Write(withPart.AsSpan(cut));
            Assert.Equal(expected, m.Finish());
        }
    }
}
