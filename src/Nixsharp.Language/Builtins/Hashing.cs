// Hash functions and Nix's hash encodings (base16, Nix's own base32, base64, SRI).
namespace Nixsharp.Language.Builtins;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Language.Evaluation;

public static class Hashing
{
    public const string Base32Chars = "0123456789abcdfghijklmnpqrsvwxyz";

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
        _ => throw new ArgumentException("unknown hash algorithm " + algo),
    };

    public static string ToBase16(byte[] h)
    {
        var sb = new StringBuilder(h.Length * 2);
        foreach (var b in h) sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Nix's base32: its own alphabet, least significant bits first.</summary>
    public static string ToBase32(byte[] h)
    {
        int len = (h.Length * 8 - 1) / 5 + 1;
        var sb = new StringBuilder(len);
        for (int n = len - 1; n >= 0; n--)
        {
            int b = n * 5;
            int i = b / 8, j = b % 8;
            int c = (h[i] >> j) | (i >= h.Length - 1 ? 0 : h[i + 1] << (8 - j));
            sb.Append(Base32Chars[c & 0x1f]);
        }
        return sb.ToString();
    }

    public static byte[]? FromBase32(string s, int size)
    {
        if (s.Length != (size * 8 - 1) / 5 + 1) return null;
        var h = new byte[size];
        for (int n = 0; n < s.Length; n++)
        {
            char c = s[s.Length - n - 1];
            int digit = Base32Chars.IndexOf(c);
            if (digit < 0) return null;
            int b = n * 5;
            int i = b / 8, j = b % 8;
            h[i] |= (byte)(digit << j);
            if (i < size - 1) h[i + 1] |= (byte)(digit >> (8 - j));
            else if ((digit >> (8 - j)) != 0) return null;
        }
        return h;
    }

    public static byte[]? FromBase16(string s, int size)
    {
        if (s.Length != size * 2) return null;
        try { return Convert.FromHexString(s); }
        catch (FormatException) { return null; }
    }

    public static string Placeholder(string outputName)
    {
        var h = SHA256.HashData(ByteString.ToBytes("nix-output:" + outputName));
        return "/" + ToBase32(h);
    }
}
