// A hash value with its algorithm, and the text forms Nix 2.8 reads and prints: base 16, Nix
// base 32, base 64 and SRI ("sha256-<base64>"), optionally prefixed "algo:". A bare string's
// encoding is told apart by its length, which differs for every algorithm and encoding.
namespace Nixsharp.Formats.Hashes;

using System.Security.Cryptography;

/// <summary>The hash algorithms Nix knows (Nix calls this a hash type).</summary>
public enum HashType { Md5, Sha1, Sha256, Sha512 }

/// <summary>How a hash is written. Base32 is Nix's own base 32 (see NixBase32).</summary>
public enum HashFormat { Base16, Base32, Base64, Sri }

/// <summary>A hash string that cannot be read; the message is Nix 2.8's.</summary>
public class HashFormatException : FormatException
{
    public HashFormatException(string message) : base(message) { }
}

/// <summary>An algorithm name Nix does not know. Nix reports this one as a usage error.</summary>
public sealed class UnknownHashAlgorithmException : HashFormatException
{
    public string Algorithm { get; }
    public UnknownHashAlgorithmException(string algorithm) : base($"unknown hash algorithm '{algorithm}'")
    {
        Algorithm = algorithm;
    }
}

public sealed class Hash : IEquatable<Hash>
{
    private const string Base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private readonly byte[] _bytes;

    public HashType Type { get; }
    public ReadOnlySpan<byte> Bytes => _bytes;
    /// <summary>The algorithm's name as Nix writes it: md5, sha1, sha256 or sha512.</summary>
    public string AlgorithmName => NameOf(Type);

    public Hash(HashType type, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != SizeOf(type))
            throw new ArgumentException($"a {NameOf(type)} hash has {SizeOf(type)} bytes, not {bytes.Length}", nameof(bytes));
        Type = type;
        _bytes = bytes.ToArray();
    }

    /// <summary>Takes ownership of an array of the right size, without copying it.</summary>
    private Hash(byte[] owned, HashType type)
    {
        Type = type;
        _bytes = owned;
    }

    /// <summary>The all-zero hash, which Nix substitutes for an empty outputHash.</summary>
    public static Hash Zero(HashType type) => new(new byte[SizeOf(type)], type);

    public static Hash Compute(HashType type, ReadOnlySpan<byte> data) => new(type switch
    {
        HashType.Md5 => MD5.HashData(data),
        HashType.Sha1 => SHA1.HashData(data),
        HashType.Sha256 => SHA256.HashData(data),
        HashType.Sha512 => SHA512.HashData(data),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    }, type);

    public static int SizeOf(HashType type) => type switch
    {
        HashType.Md5 => 16, HashType.Sha1 => 20, HashType.Sha256 => 32, HashType.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static string NameOf(HashType type) => type switch
    {
        HashType.Md5 => "md5", HashType.Sha1 => "sha1", HashType.Sha256 => "sha256", HashType.Sha512 => "sha512",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParseType(ReadOnlySpan<char> name, out HashType type)
    {
        switch (name)
        {
            case "md5": type = HashType.Md5; return true;
            case "sha1": type = HashType.Sha1; return true;
            case "sha256": type = HashType.Sha256; return true;
            case "sha512": type = HashType.Sha512; return true;
            default: type = default; return false;
        }
    }

    /// <exception cref="UnknownHashAlgorithmException">"unknown hash algorithm 'NAME'"</exception>
    public static HashType ParseType(string name) =>
        TryParseType(name, out var type) ? type : throw new UnknownHashAlgorithmException(name);

    public static int Base16Length(HashType type) => SizeOf(type) * 2;
    public static int Base32Length(HashType type) => NixBase32.EncodedLength(SizeOf(type));
    /// <summary>Padded base-64 length: 24, 28, 44 or 88.</summary>
    public static int Base64Length(HashType type) => (4 * SizeOf(type) / 3 + 3) & ~3;

    /// <summary>A hash that may say its algorithm ("algo:hash" or SRI "algo-base64"); if it does
    /// and expectedType is given, they must agree; if neither does, it is an error.</summary>
    public static Hash ParseAny(string text, HashType? expectedType)
    {
        var (parsedType, rest, isSri) = SplitPrefix(text);
        if (parsedType is null && expectedType is null)
            throw new HashFormatException($"hash '{rest}' does not include a type, nor is the type otherwise known from context");
        if (parsedType is not null && expectedType is not null && parsedType != expectedType)
            throw new HashFormatException($"hash '{text}' should have type '{NameOf(expectedType.Value)}'");
        return ParseDigest(rest, parsedType ?? expectedType!.Value, isSri);
    }

    /// <summary>A hash that must say its algorithm: "algo:hash" or SRI.</summary>
    public static Hash ParseAnyPrefixed(string text)
    {
        var (parsedType, rest, isSri) = SplitPrefix(text);
        if (parsedType is null)
            throw new HashFormatException($"hash '{rest}' does not include a type");
        return ParseDigest(rest, parsedType.Value, isSri);
    }

    /// <summary>Only SRI: "algo-base64".</summary>
    public static Hash ParseSri(string text)
    {
        int dash = text.IndexOf('-');
        if (dash < 0) throw new HashFormatException($"hash '{text}' is not SRI");
        return ParseDigest(text[(dash + 1)..], ParseType(text[..dash]), isSri: true);
    }

    /// <summary>A bare digest (base 16, base 32 or base 64, by length) of a known algorithm, as
    /// in a .drv file's fixed outputs.</summary>
    public static Hash ParseNonSriUnprefixed(string text, HashType type) => ParseDigest(text, type, isSri: false);

    /// <summary>Nix splits at the first ':' and, failing that, at the first '-' (SRI).</summary>
    private static (HashType? Type, string Digest, bool IsSri) SplitPrefix(string text)
    {
        int sep = text.IndexOf(':');
        bool isSri = false;
        if (sep < 0)
        {
            sep = text.IndexOf('-');
            isSri = sep >= 0;
        }
        if (sep < 0) return (null, text, false);
        return (ParseType(text[..sep]), text[(sep + 1)..], isSri);
    }

    private static Hash ParseDigest(string rest, HashType type, bool isSri)
    {
        int size = SizeOf(type);
        if (!isSri && rest.Length == Base16Length(type))
        {
            var bytes = new byte[size];
            for (int i = 0; i < size; i++)
            {
                int hi = HexDigit(rest[2 * i]), lo = HexDigit(rest[2 * i + 1]);
                if (hi < 0 || lo < 0) throw new HashFormatException($"invalid base-16 hash '{rest}'");
                bytes[i] = (byte)(hi << 4 | lo);
            }
            return new Hash(bytes, type);
        }
        if (!isSri && rest.Length == Base32Length(type))
        {
            var bytes = NixBase32.Decode(rest, size) ?? throw new HashFormatException($"invalid base-32 hash '{rest}'");
            return new Hash(bytes, type);
        }
        if (isSri || rest.Length == Base64Length(type))
        {
            var bytes = DecodeBase64AsNixDoes(rest, size)
                ?? throw new HashFormatException($"invalid {(isSri ? "SRI" : "base-64")} hash '{rest}'");
            return new Hash(bytes, type);
        }
        throw new HashFormatException($"hash '{rest}' has wrong length for hash type '{NameOf(type)}'");
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Nix's lenient base-64 decoder: it stops at the first '=', skips newlines and does
    /// not check padding or leftover bits. Null when the result is not `size` bytes.</summary>
    private static byte[]? DecodeBase64AsNixDoes(string s, int size)
    {
        var res = new byte[size];
        int count = 0;
        uint acc = 0;
        int bits = 0;
        foreach (var c in s)
        {
            if (c == '=') break;
            if (c == '\n') continue;
            int digit = c < 128 ? Base64Alphabet.IndexOf(c) : -1;
            // Nix 2.8 means to name the character here, but its formatting prints nothing between the quotes.
            if (digit < 0) throw new HashFormatException("invalid character in Base64 string: ''");
            acc = acc << 6 | (uint)digit;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                // Past `size` bytes the result is wrong anyway, but a bad character later on is
                // reported first, as Nix decodes everything before it checks the length.
                if (count < size) res[count] = (byte)(acc >> bits);
                count++;
            }
        }
        return count == size ? res : null;
    }

    public string ToString(HashFormat format, bool includeAlgo)
    {
        var digest = format switch
        {
            HashFormat.Base16 => Convert.ToHexStringLower(_bytes),
            HashFormat.Base32 => NixBase32.Encode(_bytes),
            HashFormat.Base64 or HashFormat.Sri => Convert.ToBase64String(_bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        if (format == HashFormat.Sri) return AlgorithmName + "-" + digest;
        return includeAlgo ? AlgorithmName + ":" + digest : digest;
    }

    /// <summary>SRI, the form modern Nix prints by default.</summary>
    public override string ToString() => ToString(HashFormat.Sri, true);

    public bool Equals(Hash? other) => other is not null && other.Type == Type && other._bytes.AsSpan().SequenceEqual(_bytes);
    public override bool Equals(object? obj) => obj is Hash h && Equals(h);
    public override int GetHashCode() => HashCode.Combine(Type, BitConverter.ToInt32(_bytes, 0));
}
