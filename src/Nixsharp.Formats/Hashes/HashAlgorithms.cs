// The hash functions Nix uses, by Nix's names.
namespace Nixsharp.Formats.Hashes;

using System.Security.Cryptography;

public static class HashAlgorithms
{
    public static int SizeOf(string algo) => algo switch
    {
        "md5" => 16, "sha1" => 20, "sha256" => 32, "sha512" => 64, _ => -1,
    };

    public static byte[] Compute(string algo, ReadOnlySpan<byte> data) => algo switch
    {
        "md5" => MD5.HashData(data),
        "sha1" => SHA1.HashData(data),
        "sha256" => SHA256.HashData(data),
        "sha512" => SHA512.HashData(data),
        _ => throw new ArgumentException("unknown hash algorithm '" + algo + "'", nameof(algo)),
    };

    public static IncrementalHash Create(string algo) => algo switch
    {
        "md5" => IncrementalHash.CreateHash(HashAlgorithmName.MD5),
        "sha1" => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
        "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new ArgumentException("unknown hash algorithm '" + algo + "'", nameof(algo)),
    };

    public static string ToBase16(ReadOnlySpan<byte> h) => Convert.ToHexStringLower(h);
}
