// Hash helpers for builtins, on top of the wire-format layer's hash functions and encodings.
namespace Nixsharp.Language.Builtins;

using System.Security.Cryptography;
using Nixsharp.Formats.Hashes;
using Nixsharp.Language.Evaluation;

public static class Hashing
{
    public static int SizeOf(string algo) => HashAlgorithms.SizeOf(algo);
    public static byte[] Compute(string algo, ReadOnlySpan<byte> data) => HashAlgorithms.Compute(algo, data);
    public static string ToBase16(byte[] h) => HashAlgorithms.ToBase16(h);

    /// <summary>`builtins.placeholder`: "/" and the base-32 SHA-256 of "nix-output:NAME".</summary>
    public static string Placeholder(string outputName) =>
        "/" + NixBase32.Encode(SHA256.HashData(ByteString.ToBytes("nix-output:" + outputName)));
}
