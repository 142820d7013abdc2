// How Nix names things in the store: the path is the store directory, a 160-bit digest of a
// description of the contents in base 32, and a name.
namespace Nixsharp.Formats.StorePaths;

using System.Buffers;
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
        Compress(hash, res);
        return res;
    }

    /// <summary>Folds a hash into `destination` (all of it, cleared first) by XOR.</summary>
    public static void Compress(ReadOnlySpan<byte> hash, Span<byte> destination)
    {
        destination.Clear();
        for (int i = 0; i < hash.Length; i++) destination[i % destination.Length] ^= hash[i];
    }

    /// <summary>makeStorePath: "type:sha256:hex:storeDir:name", hashed, folded, base-32 encoded.</summary>
    public string MakeStorePath(string type, ReadOnlySpan<byte> sha256, string name) => MakeStorePath(type, [], sha256, name);

    /// <summary>makeStorePath for a type that lists paths after it: "type:part:part…" (the
    /// references of a text or source path), given in the order they are to be written.</summary>
    public string MakeStorePath(string type, ReadOnlySpan<string> typeParts, ReadOnlySpan<byte> sha256, ReadOnlySpan<char> name)
    {
        // Paths are computed several times per derivation: the description is built in a pooled
        // buffer and only the resulting path is allocated.
        int chars = type.Length + ":sha256:".Length + 2 * sha256.Length + 1 + StoreDir.Length + 1 + name.Length;
        foreach (var part in typeParts) chars += 1 + part.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(chars));
        Span<byte> digest = stackalloc byte[32];
        try
        {
            var description = buffer.AsSpan();
            int n = Encoding.UTF8.GetBytes(type, description);
            foreach (var part in typeParts)
            {
                description[n++] = (byte)':';
                n += Encoding.UTF8.GetBytes(part, description[n..]);
            }
            ":sha256:"u8.CopyTo(description[n..]);
            n += ":sha256:".Length;
            foreach (var b in sha256)
            {
                description[n++] = (byte)LowerHexDigits[b >> 4];
                description[n++] = (byte)LowerHexDigits[b & 0xf];
            }
            description[n++] = (byte)':';
            n += Encoding.UTF8.GetBytes(StoreDir, description[n..]);
            description[n++] = (byte)':';
            n += Encoding.UTF8.GetBytes(name, description[n..]);
            SHA256.HashData(description[..n], digest);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }

        Span<byte> compressed = stackalloc byte[20];
        Compress(digest, compressed);
        int length = StoreDir.Length + 1 + HashPartLength + 1 + name.Length;
        Span<char> path = length <= 1024 ? stackalloc char[length] : new char[length];
        StoreDir.CopyTo(path);
        path[StoreDir.Length] = '/';
        NixBase32.EncodeTo(compressed, path.Slice(StoreDir.Length + 1, HashPartLength));
        path[StoreDir.Length + 1 + HashPartLength] = '-';
        name.CopyTo(path[(StoreDir.Length + HashPartLength + 2)..]);
        return new string(path);
    }

    private const string LowerHexDigits = "0123456789abcdef";

    /// <summary>An input-addressed output path: type "output:NAME", named drv or drv-NAME.</summary>
    public string MakeOutputPath(string outputName, ReadOnlySpan<byte> hashModulo, string drvName) =>
        MakeStorePath("output", [outputName], hashModulo, outputName == "out" ? drvName : drvName + "-" + outputName);

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
        var sorted = references.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(contents, hash);
        return MakeStorePath("text", sorted, hash, name);
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
