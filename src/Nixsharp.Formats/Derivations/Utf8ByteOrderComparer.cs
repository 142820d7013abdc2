// Nix keeps a derivation's environment in a map ordered by bytes, and the bytes are UTF-8. .NET's
// ordinal order is UTF-16's, which disagrees with UTF-8's only between a surrogate pair (a
// character above U+FFFF) and U+E000..U+FFFF: "\uFFFD" sorts before "😀" in UTF-8, after it in UTF-16.
namespace Nixsharp.Formats.Derivations;

public sealed class Utf8ByteOrderComparer : IComparer<string>
{
    public static readonly Utf8ByteOrderComparer Instance = new();

    private Utf8ByteOrderComparer() { }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int i = x.AsSpan().CommonPrefixLength(y);
        if (i == x.Length || i == y.Length) return x.Length - y.Length;
        return CodePointRank(x[i]) - CodePointRank(y[i]);
    }

    /// <summary>Moves surrogates above U+E000..U+FFFF, so that the first differing UTF-16 unit
    /// orders the strings as their code points (and so their UTF-8 bytes) do.</summary>
    private static int CodePointRank(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };
}
