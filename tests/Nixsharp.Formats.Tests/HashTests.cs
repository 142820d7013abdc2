// The Hash type's text forms and errors, checked against Nix 2.8's `nix-hash --to-base16/--to-base32`
// and `nix hash to-base64/to-sri` (nix-hash 2.8 has no base-64 or SRI flags).
namespace Nixsharp.Formats.Tests;

using System.Text;
using Nixsharp.Formats.Hashes;
using Xunit;

public class HashTests
{
    private static readonly string[] Inputs = ["", "hello", "The quick brown fox jumps over the lazy dog\n", "\u00ff\u0000binary-ish"];

    public static TheoryData<string> TypeNames => new() { "md5", "sha1", "sha256", "sha512" };

    private static Hash[] SampleHashes(HashType type)
    {
        var res = new Hash[Inputs.Length];
        for (int i = 0; i < Inputs.Length; i++) res[i] = Hash.Compute(type, Encoding.UTF8.GetBytes(Inputs[i]));
        return res;
    }

    private static string[] Format(Hash[] hashes, HashFormat format, bool includeAlgo)
    {
        var res = new string[hashes.Length];
        for (int i = 0; i < hashes.Length; i++) res[i] = hashes[i].ToString(format, includeAlgo);
        return res;
    }

    private static string[] NixCommand(params string[] args) =>
        NixOracle.Lines("nix", ["--extra-experimental-features", "nix-command", .. args]);

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void PrintsEveryFormatAsNixDoes(string typeName)
    {
        var type = Hash.ParseType(typeName);
        var hashes = SampleHashes(type);
        var base16 = Format(hashes, HashFormat.Base16, false);
        var base32 = Format(hashes, HashFormat.Base32, false);
        var base64 = Format(hashes, HashFormat.Base64, false);
        var sri = Format(hashes, HashFormat.Sri, true);

        Assert.Equal(NixOracle.Lines("nix-hash", ["--type", typeName, "--to-base32", .. base16]), base32);
        Assert.Equal(NixOracle.Lines("nix-hash", ["--type", typeName, "--to-base16", .. base32]), base16);
        Assert.Equal(NixCommand(["hash", "to-base64", "--type", typeName, .. base16]), base64);
        Assert.Equal(NixCommand(["hash", "to-sri", "--type", typeName, .. base32]), sri);
        // And the digest itself is the one nix-hash computes for a file with that content.
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Inputs[2]);
            Assert.Equal(NixOracle.Lines("nix-hash", "--flat", "--type", typeName, "--base32", file), new[] { base32[2] });
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void ParsesEveryFormatBack(string typeName)
    {
        var type = Hash.ParseType(typeName);
        foreach (var h in SampleHashes(type))
        {
            foreach (var format in new[] { HashFormat.Base16, HashFormat.Base32, HashFormat.Base64 })
            {
                Assert.Equal(h, Hash.ParseNonSriUnprefixed(h.ToString(format, false), type));
                Assert.Equal(h, Hash.ParseAny(h.ToString(format, false), type));
                Assert.Equal(h, Hash.ParseAny(h.ToString(format, true), null));
                Assert.Equal(h, Hash.ParseAnyPrefixed(h.ToString(format, true)));
            }
            Assert.Equal(h, Hash.ParseSri(h.ToString(HashFormat.Sri, true)));
            Assert.Equal(h, Hash.ParseAny(h.ToString(), null));
            Assert.Equal(h, Hash.ParseAny(h.ToString(HashFormat.Base16, false).ToUpperInvariant(), type));
        }
    }

    [Fact]
    public void PrefixedFormsAgreeWithNix()
    {
        var h = Hash.Compute(HashType.Sha256, "hello"u8);
        Assert.Equal("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", h.ToString(HashFormat.Base16, true));
        Assert.Equal("sha256:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic", h.ToString(HashFormat.Base32, true));
        Assert.Equal("sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", h.ToString(HashFormat.Sri, false));
        // Nix takes the type from a prefix, and the prefixed forms convert as the bare ones do.
        Assert.Equal(NixOracle.Lines("nix-hash", "--type", "sha256", "--to-base32", h.ToString(HashFormat.Base64, true)),
            new[] { h.ToString(HashFormat.Base32, false) });
        Assert.Equal(NixCommand("hash", "to-base16", h.ToString(HashFormat.Sri, true)), new[] { h.ToString(HashFormat.Base16, false) });
    }

    // Inputs that Nix's lenient base-64 decoder accepts: no padding, text after '=', newlines.
    [Theory]
    [InlineData("sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ")]
    [InlineData("sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ==AAAA")]
    [InlineData("sha256-LPJNul+wow4m6Dsqxbnin\nhsWHlwfp0JecwQzYpOLmCQ=")]
    [InlineData("sha256:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")]
    [InlineData("sha256:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ\n")]
    public void AcceptsWhatNixAccepts(string text)
    {
        var expected = NixOracle.Lines("nix-hash", "--type", "sha256", "--to-base16", text);
        Assert.Equal(expected, new[] { Hash.ParseAny(text, HashType.Sha256).ToString(HashFormat.Base16, false) });
    }

    [Theory]
    [InlineData("sha256", "abc")]
    [InlineData("sha256", "sha1:abc")]
    [InlineData("sha256", "md5-abc-def")]
    [InlineData("sha256", "sha999:abc")]
    [InlineData("sha256", ":abc")]
    [InlineData("sha256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982g")]
    [InlineData("sha256", "094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwie")]
    [InlineData("sha256", "z94qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic")]
    [InlineData("sha256", "sha256-abc")]
    [InlineData("sha256", "sha256-")]
    [InlineData("sha256", "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLm!Q=")]
    [InlineData("sha256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLm!Q=")]
    [InlineData("sha256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ==")]
    [InlineData("sha256", "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQAAAA")]
    [InlineData("md5", "5d41402abc4b2a76b9719d911017c59")]
    [InlineData("sha1", "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434")]
    [InlineData("sha512", "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    public void ErrorsHaveNixMessages(string typeName, string text)
    {
        var expected = NixOracle.Error("nix-hash", "--type", typeName, "--to-base16", text);
        var e = Assert.ThrowsAny<HashFormatException>(() => Hash.ParseAny(text, Hash.ParseType(typeName)));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void UnknownAlgorithmsAreUsageErrors()
    {
        var expected = NixOracle.Error("nix-hash", "--type", "sha3", "--to-base16", "abc");
        var e = Assert.Throws<UnknownHashAlgorithmException>(() => Hash.ParseType("sha3"));
        Assert.Equal(expected, e.Message);
        Assert.Equal("sha3", e.Algorithm);
        Assert.Throws<UnknownHashAlgorithmException>(() => Hash.ParseAny("SHA256:abc", null));
        Assert.False(Hash.TryParseType("Sha256", out _));
    }

    [Fact]
    public void TypeMustComeFromTheTextOrTheCaller()
    {
        var expected = NixOracle.Error("nix", "--extra-experimental-features", "nix-command", "hash", "to-base16", "abc");
        Assert.Equal(expected, Assert.Throws<HashFormatException>(() => Hash.ParseAny("abc", null)).Message);
    }

    [Fact]
    public void PrefixedAndSriOnlyParsersRefuseOtherForms()
    {
        var hex = Hash.Compute(HashType.Sha1, "x"u8).ToString(HashFormat.Base16, false);
        Assert.Equal($"hash '{hex}' does not include a type",
            Assert.Throws<HashFormatException>(() => Hash.ParseAnyPrefixed(hex)).Message);
        Assert.Equal($"hash 'sha1:{hex}' is not SRI",
            Assert.Throws<HashFormatException>(() => Hash.ParseSri("sha1:" + hex)).Message);
        // Only base 64 after an SRI prefix, even at the length of another encoding.
        Assert.Throws<HashFormatException>(() => Hash.ParseSri("sha1-" + hex));
        Assert.Throws<HashFormatException>(() => Hash.ParseAny("sha1-" + hex, null));
    }

    [Fact]
    public void SizesAndLengthsAreNixs()
    {
        int[] sizes = [16, 20, 32, 64], b16 = [32, 40, 64, 128], b32 = [26, 32, 52, 103], b64 = [24, 28, 44, 88];
        var types = new[] { HashType.Md5, HashType.Sha1, HashType.Sha256, HashType.Sha512 };
        for (int i = 0; i < types.Length; i++)
        {
            Assert.Equal(sizes[i], Hash.SizeOf(types[i]));
            Assert.Equal(b16[i], Hash.Base16Length(types[i]));
            Assert.Equal(b32[i], Hash.Base32Length(types[i]));
            Assert.Equal(b64[i], Hash.Base64Length(types[i]));
            var zero = Hash.Zero(types[i]);
            Assert.Equal(b64[i], zero.ToString(HashFormat.Base64, false).Length);
            Assert.Equal(new string('0', b32[i]), zero.ToString(HashFormat.Base32, false));
        }
        Assert.Throws<ArgumentException>(() => new Hash(HashType.Sha256, new byte[20]));
    }

    [Fact]
    public void EqualityIsByTypeAndBytes()
    {
        var a = Hash.Compute(HashType.Sha256, "a"u8);
        Assert.Equal(a, new Hash(HashType.Sha256, a.Bytes));
        Assert.Equal(a.GetHashCode(), new Hash(HashType.Sha256, a.Bytes).GetHashCode());
        Assert.NotEqual(a, Hash.Compute(HashType.Sha256, "b"u8));
        Assert.NotEqual(Hash.Zero(HashType.Md5), (object)Hash.Zero(HashType.Sha1));
    }
}
