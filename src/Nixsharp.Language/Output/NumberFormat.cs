// Number formatting identical to the C++ streams and printf that Nix uses.
namespace Nixsharp.Language.Output;

using System.Globalization;

public static class NumberFormat
{
    /// <summary>printf("%g") with precision 6: how Nix prints floats.</summary>
    public static string FormatFloat(double v) => FormatG(v, 6);

    public static string FormatG(double v, int precision)
    {
        if (double.IsNaN(v)) return double.IsNegative(v) ? "-nan" : "nan";
        if (double.IsInfinity(v)) return v < 0 ? "-inf" : "inf";
        if (v == 0) return double.IsNegative(v) ? "-0" : "0";
        int p = precision == 0 ? 1 : precision;
        var e = v.ToString("E" + (p - 1), CultureInfo.InvariantCulture);
        int ei = e.IndexOf('E');
        int exp = int.Parse(e.AsSpan(ei + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exp < -4 || exp >= p)
        {
            var mant = StripZeros(e.Substring(0, ei));
            var sign = exp < 0 ? "-" : "+";
            var digits = Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
            if (digits.Length < 2) digits = "0" + digits;
            return mant + "e" + sign + digits;
        }
        var f = v.ToString("F" + (p - 1 - exp), CultureInfo.InvariantCulture);
        return StripZeros(f);
    }

    private static string StripZeros(string s)
    {
        if (s.IndexOf('.') < 0) return s;
        s = s.TrimEnd('0');
        if (s.EndsWith('.')) s = s.Substring(0, s.Length - 1);
        return s;
    }

    /// <summary>std::to_string(double): printf("%f").</summary>
    public static string FormatFixed6(double v)
    {
        if (double.IsNaN(v)) return double.IsNegative(v) ? "-nan" : "nan";
        if (double.IsInfinity(v)) return v < 0 ? "-inf" : "inf";
        return v.ToString("F6", CultureInfo.InvariantCulture);
    }
}
