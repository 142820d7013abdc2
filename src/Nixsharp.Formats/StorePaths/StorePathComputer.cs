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

    /// <summary>Throws a FormatException unless `path` is a store path in this store, written as
    /// Nix writes one (see StorePathError).</summary>
    public void CheckStorePath(string path)
    {
        if (StorePathError(StoreDir, path) is { } error) throw new FormatException(error);
    }

    /// <summary>Why `path` is not a store path directly in storeDir ("STOREDIR/HASH-NAME"), in Nix
    /// 2.8's words; null if it is one. Stricter than Nix, which first makes the path canonical and
    /// does not check the '-' after the hash: a path must already be in the form Nix prints.</summary>
    public static string? StorePathError(string storeDir, string path)
    {
        if (path.Length <= storeDir.Length + 1 || !path.StartsWith(storeDir, StringComparison.Ordinal)
            || path[storeDir.Length] != '/' || path.IndexOf('/', storeDir.Length + 1) >= 0)
            return $"path '{path}' is not in the Nix store";
        var baseName = path.AsSpan(storeDir.Length + 1);
        if (baseName.Length < HashPartLength + 1)
            return $"'{baseName}' is too short to be a valid store path";
        foreach (var c in baseName[..HashPartLength])
        {
            if (NixBase32.Alphabet.IndexOf(c) < 0)
                return $"store path '{baseName}' contains illegal base-32 character '{c}'";
        }
        if (baseName[HashPartLength] != '-')
            return $"store path '{baseName}' has no '-' after its hash part";
        return NameError(baseName.ToString());
    }

    /// <summary>Why the name part of a store path's base name ("HASH-NAME") is not allowed, in Nix
    /// 2.8's words (which quote the whole base name); null if it is allowed. The character after
    /// the hash part is not looked at, as in Nix.</summary>
    public static string? NameError(string baseName)
    {
        var name = baseName.AsSpan(Math.Min(baseName.Length, HashPartLength + 1));
        if (name.Length == 0) return $"store path '{baseName}' has an empty name";
        if (name.Length > 211) return $"store path '{baseName}' has a name longer than 211 characters";
        int bad = IllegalCharIndex(name);
        return bad < 0 ? null : $"store path '{baseName}' contains illegal character '{name[bad]}'";
    }

    /// <summary>Characters of the base-32 hash part of a store path's base name.</summary>
    public const int HashPartLength = 32;

    private static int IllegalCharIndex(ReadOnlySpan<char> name)
    {
        for (int i = 0; i < name.Length; i++)
        {
            if (!IsNameChar(name[i])) return i;
        }
        return -1;
    }

    /// <summary>A character allowed in the name part of a store path.</summary>
    public static bool IsNameChar(char c) =>
        c is (>= '0' and <= '9') or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '+' or '-' or '.' or '_' or '?' or '=';

    /// <summary>Nix 2.8's rules for the name part: 1 to 211 characters from a limited set.</summary>
    public static void CheckName(string name)
    {
        if (name.Length == 0) throw new FormatException("store path name is empty");
        if (name.Length > 211) throw new FormatException($"store path name '{name}' is longer than 211 characters");
        foreach (var c in name)
        {
            if (!IsNameChar(c))
                throw new FormatException($"store path name '{name}' contains illegal character '{c}'");
        }
    }
}
