// Nix's base-32 encoding: its own 32-letter alphabet (no e, o, u, t), least significant bits first.
namespace Nixsharp.Formats.Hashes;

public static class NixBase32
{
    public const string Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

    public static int EncodedLength(int byteCount) => (byteCount * 8 - 1) / 5 + 1;

    public static string Encode(ReadOnlySpan<byte> h)
    {
        int len = EncodedLength(h.Length);
        Span<char> text = len <= 256 ? stackalloc char[len] : new char[len];
        EncodeTo(h, text);
        return new string(text);
    }

    /// <summary>Writes the EncodedLength(h.Length) characters of the encoding into `destination`.</summary>
    public static void EncodeTo(ReadOnlySpan<byte> h, Span<char> destination)
    {
        int len = EncodedLength(h.Length);
        for (int n = len - 1; n >= 0; n--)
        {
            int b = n * 5;
            int i = b / 8, j = b % 8;
            int c = (h[i] >> j) | (i >= h.Length - 1 ? 0 : h[i + 1] << (8 - j));
            destination[len - 1 - n] = Alphabet[c & 0x1f];
        }
    }

    /// <summary>Decodes into `size` bytes; null if the text is not a valid encoding of that size.</summary>
    public static byte[]? Decode(ReadOnlySpan<char> s, int size)
    {
        if (s.Length != EncodedLength(size)) return null;
        var h = new byte[size];
        for (int n = 0; n < s.Length; n++)
        {
            int digit = Alphabet.IndexOf(s[s.Length - n - 1]);
            if (digit < 0) return null;
            int b = n * 5;
            int i = b / 8, j = b % 8;
            h[i] |= (byte)(digit << j);
            int carry = digit >> (8 - j);
            if (i < size - 1) h[i + 1] |= (byte)carry;
            else if (carry != 0) return null;
        }
        return h;
    }
}
