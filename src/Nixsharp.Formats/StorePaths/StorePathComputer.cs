// How Nix names things in the store: the path is the store directory, a 160-bit digest of a
// description of the contents in base 32, and a name.
namespace Nixsharp.Formats.StorePaths;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;

public sealed class StorePathComputer
{
    public string StoreDir { get; }
    public StorePathComputer(string storeDir) { StoreDir = storeDir; }

    /// <summary>Folds a hash into `size` bytes by XOR, as Nix's compressHash does.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> hash, int size)
    {
        var res = new byte[size];
        for (int i = 0; i < hash.Length; i++) res[i % size] ^= hash[i];
        return res;
    }

    /// <summary>makeStorePath: "type:sha256:hex:storeDir:name", hashed, folded, base-32 encoded.</summary>
    public string MakeStorePath(string type, ReadOnlySpan<byte> sha256, string name)
    {
        var s = $"{type}:sha256:{HashAlgorithms.ToBase16(sha256)}:{StoreDir}:{name}";
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(s));
        return StoreDir + "/" + NixBase32.Encode(Compress(h, 20)) + "-" + name;
    }

    /// <summary>An input-addressed output path: type "output:NAME", named drv or drv-NAME.</summary>
    public string MakeOutputPath(string outputName, ReadOnlySpan<byte> hashModulo, string drvName) =>
        MakeStorePath("output:" + outputName, hashModulo, outputName == "out" ? drvName : drvName + "-" + outputName);

    /// <summary>A fixed-output path: recursive SHA-256 is a source path; anything else hashes
    /// "fixed:out:[r:]algo:hex:" first.</summary>
    public string MakeFixedOutputPath(bool recursive, string algo, ReadOnlySpan<byte> hash, string name)
    {
        if (recursive && algo == "sha256") return MakeStorePath("source", hash, name);
        var inner = $"fixed:out:{(recursive ? "r:" : "")}{algo}:{HashAlgorithms.ToBase16(hash)}:";
        return MakeStorePath("output:out", SHA256.HashData(Encoding.UTF8.GetBytes(inner)), name);
    }

    /// <summary>The path a file tree gets when added recursively with SHA-256 (a "source" path).</summary>
    public string ComputeSourcePath(string path, string name, out byte[] narHash, out long narSize)
    {
        CheckName(name);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sink = new HashingStream(hash);
        NarWriter.Dump(path, sink);
        narHash = hash.GetHashAndReset();
        narSize = sink.Length64;
        return MakeStorePath("source", narHash, name);
    }

    /// <summary>The path of a text file (builtins.toFile, .drv files) with its references.</summary>
    public string ComputeTextPath(string name, ReadOnlySpan<byte> contents, IEnumerable<string> references)
    {
        CheckName(name);
        var type = new StringBuilder("text");
        foreach (var r in references.OrderBy(r => r, StringComparer.Ordinal)) type.Append(':').Append(r);
        return MakeStorePath(type.ToString(), SHA256.HashData(contents), name);
    }

    /// <summary>Nix 2.8's rules for the name part: 1 to 211 characters from a limited set.</summary>
    public static void CheckName(string name)
    {
        if (name.Length == 0) throw new FormatException("store path name is empty");
        if (name.Length > 211) throw new FormatException($"store path name '{name}' is longer than 211 characters");
        foreach (var c in name)
        {
            if (!(c is (>= '0' and <= '9') or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z')
                  or '+' or '-' or '.' or '_' or '?' or '='))
                throw new FormatException($"store path name '{name}' contains illegal character '{c}'");
        }
    }
}
