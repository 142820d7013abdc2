// Checks on the text the database holds: store path syntax, hash digests in Nix's three encodings,
// and content addresses (which must reproduce the path they describe, as Nix checks on registration).
namespace Nixsharp.Store.Database;

using System.Buffers.Text;
using System.Runtime.InteropServices;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.StorePaths;

internal static class StorePathText
{
    private const int HashPartLength = 32;

    /// <summary>Whether `path` is storeDir/&lt;32 base-32 characters&gt;-&lt;valid name&gt;.</summary>
    public static bool IsStorePath(string storeDir, string path)
    {
        if (path.Length <= storeDir.Length || path[storeDir.Length] != '/' || !path.StartsWith(storeDir, StringComparison.Ordinal))
            return false;
        var baseName = path.AsSpan(storeDir.Length + 1);
        if (baseName.Length < HashPartLength + 2 || baseName[HashPartLength] != '-') return false;
        foreach (var c in baseName[..HashPartLength])
            if (!NixBase32.Alphabet.Contains(c)) return false;
        // Nix 2.8's rules for the name: at most 211 characters from a limited set.
        var name = baseName[(HashPartLength + 1)..];
        if (name.Length > 211) return false;
        foreach (var c in name)
            if (!StorePathComputer.IsNameChar(c)) return false;
        return true;
    }

    public static bool IsHashPart(string s) =>
        s.Length == HashPartLength && s.All(c => NixBase32.Alphabet.Contains(c));

    public static string NameOf(string storePath) => storePath[(storePath.LastIndexOf('/') + HashPartLength + 2)..];

    public static bool IsDerivation(string storePath) => storePath.EndsWith(".drv", StringComparison.Ordinal);

    /// <summary>A digest of `size` bytes written in base 16, Nix base 32 or base 64; null if it is none.</summary>
    public static byte[]? DecodeDigest(ReadOnlySpan<char> text, int size)
    {
        if (size <= 0) return null;
        if (text.Length == size * 2)
        {
            foreach (var c in text)
                if (!char.IsAsciiHexDigit(c)) return null;
            return Convert.FromHexString(text);
        }
        if (text.Length == NixBase32.EncodedLength(size)) return NixBase32.Decode(text, size);
        if (text.Length == Base64.GetMaxEncodedToUtf8Length(size))
        {
            var bytes = new byte[size + 3];
            return Convert.TryFromBase64Chars(text, bytes, out int n) && n == size ? bytes[..size] : null;
        }
        return null;
    }

    /// <summary>A hash column value ("algo:digest" in any encoding, or SRI "algo-base64") rewritten
    /// as "algo:base16", the form Nix writes; null if it cannot be read.</summary>
    public static string? NormaliseHash(string stored)
    {
        int colon = stored.IndexOf(':');
        int dash = stored.IndexOf('-');
        int sep = colon >= 0 ? colon : dash;
        if (sep <= 0) return null;
        var algo = stored[..sep];
        var digest = DecodeDigest(stored.AsSpan(sep + 1), HashAlgorithms.SizeOf(algo));
        if (digest is null) return null;
        if (colon < 0 && stored.Length - sep - 1 != Base64.GetMaxEncodedToUtf8Length(digest.Length)) return null;
        return algo + ":" + HashAlgorithms.ToBase16(digest);
    }

    /// <summary>Whether the hash is in the form registration needs: "sha256:" and 64 lower-case base-16 digits.</summary>
    public static bool IsCanonicalNarHash(string narHash) =>
        narHash.Length == 7 + 64 && narHash.StartsWith("sha256:", StringComparison.Ordinal)
        && narHash.AsSpan(7).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The path that content address `ca` with these references describes, computed as Nix
    /// does; null if `ca` is not a content address or describes no path (e.g. a flat hash with references).</summary>
    public static string? PathFromContentAddress(string storeDir, string ca, string path, IEnumerable<string> references)
    {
        // Registration checks this for every content-addressed path: it works on spans of its
        // arguments rather than on substrings and LINQ sequences of them.
        var name = path.AsSpan(path.LastIndexOf('/') + HashPartLength + 2);
        var computer = new StorePathComputer(storeDir);
        bool selfReference = false;
        var refs = new List<string>();
        foreach (var r in references)
        {
            if (r == path) selfReference = true;
            else refs.Add(r);
        }
        refs.Sort(StringComparer.Ordinal);
        if (ca.StartsWith("text:", StringComparison.Ordinal))
        {
            // Text paths (builtins.toFile, .drv files) cannot refer to themselves.
            if (selfReference) return null;
            var rest = ca.AsSpan("text:".Length);
            if (!rest.StartsWith("sha256:", StringComparison.Ordinal)) return null;
            var hash = DecodeDigest(rest["sha256:".Length..], 32);
            if (hash is null) return null;
            return computer.MakeStorePath("text", CollectionsMarshal.AsSpan(refs), hash, name);
        }
        if (ca.StartsWith("fixed:", StringComparison.Ordinal))
        {
            var rest = ca["fixed:".Length..];
            bool recursive = rest.StartsWith("r:", StringComparison.Ordinal);
            if (recursive) rest = rest[2..];
            int colon = rest.IndexOf(':');
            if (colon <= 0) return null;
            var algo = rest[..colon];
            var hash = DecodeDigest(rest.AsSpan(colon + 1), HashAlgorithms.SizeOf(algo));
            if (hash is null) return null;
            if (recursive && algo == "sha256")
            {
                if (selfReference) refs.Add("self");
                return computer.MakeStorePath("source", CollectionsMarshal.AsSpan(refs), hash, name);
            }
            // Other fixed outputs have no references at all.
            if (refs.Count > 0 || selfReference) return null;
            return computer.MakeFixedOutputPath(recursive, algo, hash, name.ToString());
        }
        return null;
    }
}
