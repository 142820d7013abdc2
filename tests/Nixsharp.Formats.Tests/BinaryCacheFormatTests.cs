// Binary-cache formats against what Nix 2.8 wrote (golden/cache/, see its README): narinfo bytes,
// signature fingerprints and signatures, key files, xz/zstd/bzip2 NARs, nix-cache-info; and
// narinfo files broken in the ways a hostile or damaged cache can break them.
namespace Nixsharp.Formats.Tests;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.BinaryCache;
using Nixsharp.Formats.Compression;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Signing;
using Xunit;

public class BinaryCacheFormatTests
{
    private static readonly string GoldenDir = Path.Combine(AppContext.BaseDirectory, "golden", "cache");
    private const string StoreDir = "/nix/store";

    public static TheoryData<string> Methods => new() { "xz", "zstd", "bzip2", "none" };

    private static IEnumerable<string> NarInfoFiles(string method) =>
        Directory.EnumerateFiles(Path.Combine(GoldenDir, method), "*.narinfo").Order(StringComparer.Ordinal);

    private static NarInfo Read(string file) => NarInfo.Parse(File.ReadAllText(file), StoreDir, Path.GetFileName(file));

    private static SecretKey Key(string name) => SecretKey.Parse(File.ReadAllText(Path.Combine(GoldenDir, name + ".sec")));

    [Theory]
    [MemberData(nameof(Methods))]
    public void NarInfoPrintsTheBytesNixWrote(string method)
    {
        foreach (var file in NarInfoFiles(method))
        {
            var info = Read(file);
            Assert.Equal(File.ReadAllText(file), info.Print());
            Assert.Equal(Path.GetFileNameWithoutExtension(file), info.HashPart);
            Assert.Equal(method, info.Compression);
            Assert.Equal("nar/" + info.FileHash!.ToString(HashFormat.Base32, false) + ".nar" + CompressionMethods.Extension(method), info.Url);
        }
    }

    [Fact]
    public void NarInfoFieldsAreRead()
    {
        var info = Read(Path.Combine(GoldenDir, "xz", "9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv.narinfo"));
        Assert.Equal("/nix/store/9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv-out1", info.StorePath);
        Assert.Equal(["/nix/store/gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep"], info.References);
        Assert.Equal("/nix/store/k9q90kvc1h4fzwqfrpz1mrzx46c0x1g4-out1.drv", info.Deriver);
        Assert.Equal(160, info.NarSize);
        Assert.Equal(172, info.FileSize);
        Assert.Equal(2, info.Signatures.Count);
        Assert.Null(info.ContentAddress);
        Assert.Equal("1;/nix/store/9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv-out1;sha256:11xs3bng31wmjxqc9bivgb8lx5kqf7ywgb78im2r33vjsy4vmv7f;160;/nix/store/gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep",
            info.Fingerprint);
    }

    [Fact]
    public void SignaturesEqualTheOnesNixMade()
    {
        // Ed25519 is deterministic: the same key over the same fingerprint gives Nix's exact bytes.
        var keys = new[] { Key("test-1"), Key("other-key") };
        int checkedSigs = 0;
        foreach (var file in NarInfoFiles("xz"))
        {
            var info = Read(file);
            foreach (var sig in info.Signatures)
            {
                var key = keys.Single(k => sig.StartsWith(k.Name + ":", StringComparison.Ordinal));
                Assert.Equal(sig, key.Sign(info.Fingerprint));
                Assert.True(key.PublicKey.Verify(info.Fingerprint, sig));
                checkedSigs++;
            }
        }
        Assert.Equal(4, checkedSigs);
    }

    [Fact]
    public void KeyFilesRoundTripAndGiveNixsPublicKeys()
    {
        foreach (var name in new[] { "test-1", "other-key" })
        {
            var secretText = File.ReadAllText(Path.Combine(GoldenDir, name + ".sec"));
            var key = SecretKey.Parse(secretText);
            Assert.Equal(name, key.Name);
            Assert.Equal(secretText, key.ToString());
            Assert.Equal(File.ReadAllText(Path.Combine(GoldenDir, name + ".pub")), key.PublicKey.ToString());
            Assert.Equal(key.PublicKey.ToString(), PublicKey.Parse(key.PublicKey.ToString() + "\n").ToString());
        }
    }

    [Fact]
    public void GeneratedKeysHaveNixsForm()
    {
        var key = SecretKey.Generate("cache.example.org-1");
        var text = key.ToString();
        Assert.StartsWith("cache.example.org-1:", text, StringComparison.Ordinal);
        Assert.Equal(64, Convert.FromBase64String(text["cache.example.org-1:".Length..]).Length);
        Assert.Equal(text, SecretKey.Parse(text).ToString());
        Assert.NotEqual(text, SecretKey.Generate("cache.example.org-1").ToString());
        var sig = key.Sign("hello");
        Assert.True(key.PublicKey.Verify("hello", sig));
        Assert.False(key.PublicKey.Verify("hellO", sig));
        Assert.False(Key("test-1").PublicKey.Verify("hello", "test-1" + sig[sig.IndexOf(':')..]));
    }

    [Fact]
    public void GeneratedKeysAreReadByNix()
    {
        var key = SecretKey.Generate("interop-1");
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, key.ToString());
            var (stdout, stderr, code) = NixOracle.Run("/bin/sh", "-c",
                $"nix --extra-experimental-features nix-command key convert-secret-to-public < {file}");
            Assert.True(code == 0, stderr);
            Assert.Equal(key.PublicKey.ToString(), stdout);
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData("nokey", "secret key is corrupt")]
    [InlineData(":AAAA", "secret key is corrupt")]
    [InlineData("k:AAAA", "secret key is not valid")]
    [InlineData("k:not base64!", "secret key is not valid")]
    public void BadSecretKeysAreRefusedInNixsWords(string text, string message)
    {
        var e = Assert.Throws<SigningKeyException>(() => SecretKey.Parse(text));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ASecretKeyWithAForeignPublicHalfIsRefused()
    {
        var a = Convert.FromBase64String(Key("test-1").ToString()["test-1:".Length..]);
        var b = Convert.FromBase64String(Key("other-key").ToString()["other-key:".Length..]);
        var mixed = "test-1:" + Convert.ToBase64String([.. a[..32], .. b[32..]]);
        Assert.Contains("does not match", Assert.Throws<SigningKeyException>(() => SecretKey.Parse(mixed)).Message);
    }

    [Fact]
    public void TrustedKeysCheckNamesAndBytes()
    {
        var info = Read(Path.Combine(GoldenDir, "xz", "gsiiwi4lmds6sgw9vbfjbq81j9bgjm56.narinfo"));
        var trusted = TrustedKeys.Parse(File.ReadAllText(Path.Combine(GoldenDir, "test-1.pub")) + "  " + File.ReadAllText(Path.Combine(GoldenDir, "other-key.pub")));
        Assert.Equal(2, trusted.Count);
        Assert.True(trusted.AnyValid(info.Fingerprint, info.Signatures));
        Assert.False(TrustedKeys.Parse(File.ReadAllText(Path.Combine(GoldenDir, "other-key.pub"))).AnyValid(info.Fingerprint, info.Signatures));
        // A signature under a trusted name but made by another key.
        var forged = "test-1" + Key("other-key").Sign(info.Fingerprint)["other-key".Length..];
        Assert.False(trusted.AnyValid(info.Fingerprint, [forged]));
        Assert.False(trusted.AnyValid(info.Fingerprint.Replace(";128;", ";129;", StringComparison.Ordinal), info.Signatures));
    }

    [Theory]
    [InlineData("xz")]
    [InlineData("zstd")]
    [InlineData("bzip2")]
    public void CompressedNarsDecodeToTheirNarHash(string method)
    {
        foreach (var file in NarInfoFiles(method))
        {
            var info = Read(file);
            var compressed = File.ReadAllBytes(Path.Combine(GoldenDir, method, info.Url));
            Assert.Equal(info.FileSize, compressed.Length);
            Assert.Equal(info.FileHash, Hash.Compute(HashType.Sha256, compressed));
            using var decoder = CompressionMethods.OpenDecompressor(method, new MemoryStream(compressed));
            var nar = new MemoryStream();
            decoder.CopyTo(nar);
            Assert.Equal(info.NarSize, nar.Length);
            Assert.Equal(info.NarHash, Hash.Compute(HashType.Sha256, nar.ToArray()));
        }
    }

    [Fact]
    public void XzOutputEqualsNixsBytes()
    {
        foreach (var file in NarInfoFiles("xz"))
        {
            var info = Read(file);
            var nar = File.ReadAllBytes(Path.Combine(GoldenDir, "none", "nar", info.NarHash.ToString(HashFormat.Base32, false) + ".nar"));
            var output = new MemoryStream();
            using (var encoder = CompressionMethods.OpenCompressor("xz", output, level: 6)) encoder.Write(nar);
            Assert.Equal(File.ReadAllBytes(Path.Combine(GoldenDir, "xz", info.Url)), output.ToArray());
        }
    }

    [Theory]
    [InlineData("xz")]
    [InlineData("zstd")]
    [InlineData("none")]
    public void LargeDataRoundTripsInSmallWrites(string method)
    {
        var data = new byte[3 << 20];
        new Random(5).NextBytes(data.AsSpan(0, 1 << 20)); // part random, part compressible
        var output = new MemoryStream();
        using (var encoder = CompressionMethods.OpenCompressor(method, output))
        {
            for (int i = 0; i < data.Length; i += 7001) encoder.Write(data, i, Math.Min(7001, data.Length - i));
        }
        using var decoder = CompressionMethods.OpenDecompressor(method, new MemoryStream(output.ToArray()));
        var back = new MemoryStream();
        var buf = new byte[333];
        int n;
        while ((n = decoder.Read(buf, 0, buf.Length)) > 0) back.Write(buf, 0, n);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
    }

    [Theory]
    [InlineData("xz")]
    [InlineData("bzip2")]
    [InlineData("zstd")]
    public void TruncatedOrCorruptDataIsAnError(string method)
    {
        var file = NarInfoFiles(method).First();
        var compressed = File.ReadAllBytes(Path.Combine(GoldenDir, method, Read(file).Url));
        foreach (var broken in new[] { compressed[..(compressed.Length / 2)], Flip(compressed, compressed.Length / 2), "garbage"u8.ToArray() })
        {
            Assert.ThrowsAny<IOException>(() =>
            {
                using var decoder = CompressionMethods.OpenDecompressor(method, new MemoryStream(broken));
                decoder.CopyTo(Stream.Null);
            });
        }
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x55;
        return copy;
    }

    [Fact]
    public void UnknownCompressionIsRefusedByName()
    {
        Assert.Contains("'lz4'", Assert.Throws<NotSupportedException>(() => CompressionMethods.OpenDecompressor("lz4", Stream.Null)).Message);
    }

    [Fact]
    public void NixCacheInfoRoundTrips()
    {
        var text = File.ReadAllText(Path.Combine(GoldenDir, "xz", "nix-cache-info"));
        Assert.Equal("StoreDir: /nix/store\n", text);
        Assert.Equal(text, NixCacheInfo.Parse(text, "nix-cache-info").Print());
        var full = NixCacheInfo.Parse("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\nSomethingNew: x\n", "x");
        Assert.Equal(new NixCacheInfo { StoreDir = "/nix/store", WantMassQuery = true, Priority = 40 }, full);
        Assert.Equal("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n", full.Print());
        Assert.Contains("line 2", Assert.Throws<FormatException>(() => NixCacheInfo.Parse("StoreDir: /nix/store\nPriority: high\n", "x")).Message);
        Assert.Contains("no StoreDir", Assert.Throws<FormatException>(() => NixCacheInfo.Parse("Priority: 1\n", "x")).Message);
    }

    private static readonly string Good = File.ReadAllText(Path.Combine(GoldenDir, "xz", "9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv.narinfo"));

    [Fact]
    public void UnknownKeysAreSkippedAsNixSkipsThem()
    {
        var info = NarInfo.Parse(Good + "FutureField: something\nSystem: x86_64-linux\n", StoreDir, "x.narinfo");
        Assert.Equal("x86_64-linux", info.System);
        Assert.Equal(Good.Replace("Sig: other", "System: x86_64-linux\nSig: other", StringComparison.Ordinal), info.Print());
        // Nix reads a missing Compression as bzip2 (its original default).
        Assert.Equal("bzip2", NarInfo.Parse(Good.Replace("Compression: xz\n", "", StringComparison.Ordinal), StoreDir, "x").Compression);
        Assert.Null(NarInfo.Parse(Good.Replace("Deriver: k9q90kvc1h4fzwqfrpz1mrzx46c0x1g4-out1.drv", "Deriver: unknown-deriver", StringComparison.Ordinal), StoreDir, "x").Deriver);
    }

    public static TheoryData<string, string, string> BrokenNarInfos => new()
    {
        { "no final newline", Good.TrimEnd('\n'), "its last line has no newline" },
        { "empty", "", "it is empty" },
        { "missing NarSize", Good.Replace("NarSize: 160\n", ""), "the required field 'NarSize' is missing" },
        { "missing StorePath", Good.Replace("StorePath: /nix/store/9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv-out1\n", ""), "the required field 'StorePath' is missing" },
        { "missing URL", Good.Replace("URL: nar/17x5sf8xyyjp5c12817ign3kx33vc9cqn5izvnd8raafl6plp8hn.nar.xz\n", ""), "the required field 'URL' is missing" },
        { "missing NarHash", Good.Replace("NarHash: sha256:11xs3bng31wmjxqc9bivgb8lx5kqf7ywgb78im2r33vjsy4vmv7f\n", ""), "the required field 'NarHash' is missing" },
        { "line without a colon", Good + "garbage line\n", "line 12: expected 'Key: value', got 'garbage line'" },
        { "blank line", Good.Replace("NarSize: 160\n", "NarSize: 160\n\n"), "line 8: expected 'Key: value'" },
        { "duplicate NarSize", Good + "NarSize: 161\n", "line 12: 'NarSize' appears more than once" },
        { "duplicate StorePath", Good + "StorePath: /nix/store/gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep\n", "'StorePath' appears more than once" },
        { "size not a number", Good.Replace("NarSize: 160", "NarSize: 16x"), "line 7: NarSize: '16x' is not a size in bytes" },
        { "negative size", Good.Replace("FileSize: 172", "FileSize: -172"), "line 5: FileSize: '-172' is not a size in bytes" },
        { "zero NAR size", Good.Replace("NarSize: 160", "NarSize: 0"), "NarSize: NAR size is 0" },
        { "bad base-32 hash", Good.Replace("NarHash: sha256:11x", "NarHash: sha256:11e"), "line 6: NarHash: invalid base-32 hash" },
        { "hash without type", Good.Replace("NarHash: sha256:", "NarHash: "), "line 6: NarHash: hash '11xs3" },
        { "NAR hash not SHA-256", Good.Replace("NarHash: sha256:11xs3bng31wmjxqc9bivgb8lx5kqf7ywgb78im2r33vjsy4vmv7f", "NarHash: sha1:" + new string('0', 40)), "is not SHA-256" },
        { "store path elsewhere", Good.Replace("StorePath: /nix/store/", "StorePath: /gnu/store/"), "line 1: StorePath: path '/gnu/store/9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv-out1' is not in the Nix store" },
        { "store path with a bad hash", Good.Replace("StorePath: /nix/store/9vxw", "StorePath: /nix/store/9vxe"), "illegal base-32 character 'e'" },
        { "full path as reference", Good.Replace("References: gsii", "References: /nix/store/gsii"), "line 8: References: reference '/nix/store/gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep' is not a store path's base name" },
        { "reference with a bad name", Good.Replace("-dep\n", "-d$p\n"), "contains illegal character '$'" },
        { "reference listed twice", Good.Replace("References: gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep", "References: gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep"), "a reference is listed twice" },
        { "double space in references", Good.Replace("References: gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep", "References: gsiiwi4lmds6sgw9vbfjbq81j9bgjm56-dep  x"), "line 8: References:" },
        { "deriver as full path", Good.Replace("Deriver: k9q", "Deriver: /nix/store/k9q"), "is not a store path's base name" },
        { "signature without name", Good.Replace("Sig: test-1:", "Sig: "), "is not NAME:BASE64" },
        { "unknown content address", Good + "CA: sha256:abc\n", "neither 'fixed:…' nor 'text:…'" },
        { "URL with a space", Good.Replace("URL: nar/", "URL: nar/ x"), "line 2: URL:" },
        { "compression not a name", Good.Replace("Compression: xz", "Compression: x z"), "line 3: Compression:" },
    };

    [Theory]
    [MemberData(nameof(BrokenNarInfos))]
    public void BrokenNarInfosAreRefusedWithTheLine(string what, string text, string message)
    {
        var e = Assert.Throws<NarInfoFormatException>(() => NarInfo.Parse(text, StoreDir, "9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv.narinfo"));
        Assert.StartsWith("NAR info file '9vxw6kjm6y3sjcdg5y4vhwz4ykfj4gbv.narinfo' is corrupt: ", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{what}: {e.Message}");
    }

    [Fact]
    public void FingerprintNeedsASizeAndASha256()
    {
        var h = Hash.Compute(HashType.Sha256, Encoding.UTF8.GetBytes("x"));
        Assert.Throws<FormatException>(() => PathFingerprint.Of("/nix/store/x", h, 0, []));
        Assert.Throws<FormatException>(() => PathFingerprint.Of("/nix/store/x", Hash.Compute(HashType.Sha1, "x"u8), 1, []));
        Assert.Equal("1;/nix/store/p;" + h.ToString(HashFormat.Base32, true) + ";5;/nix/store/a,/nix/store/b",
            PathFingerprint.Of("/nix/store/p", h, 5, ["/nix/store/b", "/nix/store/a"]));
    }
}
