// Structured attributes (__structuredAttrs = true): the builder gets no derivation variables in its
// environment but two files, .attrs.json and .attrs.sh. Nix 2.8 parses __json with nlohmann::json,
// adds "outputs", and writes it back with nlohmann's dump(), so the bytes here follow that library:
// keys in byte order, compact, its number formatting and string escapes. .attrs.sh declares every
// attribute bash can hold, with Nix 2.8's number conversion quirks (through float, then int).
namespace Nixsharp.Builder.Building;

using System.Globalization;
using System.Text;
using System.Text.Json;

public static class StructuredAttrs
{
    /// <summary>A JSON value as nlohmann::json holds it.</summary>
    public abstract record JValue;
    public sealed record JNull : JValue;
    public sealed record JBool(bool Value) : JValue;
    public sealed record JInt(long Value) : JValue;
    public sealed record JUnsigned(ulong Value) : JValue;
    public sealed record JFloat(double Value) : JValue;
    public sealed record JString(string Value) : JValue;
    public sealed record JArray(List<JValue> Items) : JValue;
    /// <summary>Members in byte order of their keys (std::map), a later duplicate replacing an earlier one.</summary>
    public sealed record JObject(SortedDictionary<string, JValue> Members) : JValue;

    public static readonly IComparer<string> KeyOrder = Nixsharp.Formats.Derivations.Utf8ByteOrderComparer.Instance;

    public static JValue FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null: return new JNull();
            case JsonValueKind.True: return new JBool(true);
            case JsonValueKind.False: return new JBool(false);
            case JsonValueKind.String: return new JString(e.GetString()!);
            case JsonValueKind.Number:
            {
                var raw = e.GetRawText();
                bool isInteger = raw.IndexOfAny(new[] { '.', 'e', 'E' }) < 0;
                if (isInteger && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return new JInt(l);
                if (isInteger && ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var u)) return new JUnsigned(u);
                return new JFloat(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));
            }
            case JsonValueKind.Array:
                return new JArray(e.EnumerateArray().Select(FromJson).ToList());
            case JsonValueKind.Object:
            {
                var members = new SortedDictionary<string, JValue>(KeyOrder);
                foreach (var p in e.EnumerateObject()) members[p.Name] = FromJson(p.Value);
                return new JObject(members);
            }
            default: throw new JsonException($"unexpected JSON value {e.ValueKind}");
        }
    }

    /// <summary>The attributes the builder sees: __json with "outputs" set to the output paths.</summary>
    public static JObject Prepare(JsonElement json, IReadOnlyDictionary<string, string> outputPaths)
    {
        var obj = (JObject)FromJson(json);
        var outputs = new SortedDictionary<string, JValue>(KeyOrder);
        foreach (var (name, path) in outputPaths) outputs[name] = new JString(path);
        obj.Members["outputs"] = new JObject(outputs);
        return obj;
    }

    // ---- .attrs.json: nlohmann::json::dump() ---------------------------------------------------

    public static string Dump(JValue v)
    {
        var sb = new StringBuilder();
        Dump(v, sb);
        return sb.ToString();
    }

    private static void Dump(JValue v, StringBuilder sb)
    {
        switch (v)
        {
            case JNull: sb.Append("null"); break;
            case JBool b: sb.Append(b.Value ? "true" : "false"); break;
            case JInt i: sb.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case JUnsigned u: sb.Append(u.Value.ToString(CultureInfo.InvariantCulture)); break;
            case JFloat f: sb.Append(FormatDouble(f.Value)); break;
            case JString s: DumpString(s.Value, sb); break;
            case JArray a:
                sb.Append('[');
                for (int i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Dump(a.Items[i], sb);
                }
                sb.Append(']');
                break;
            case JObject o:
                sb.Append('{');
                bool first = true;
                foreach (var (k, m) in o.Members)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    DumpString(k, sb);
                    sb.Append(':');
                    Dump(m, sb);
                }
                sb.Append('}');
                break;
        }
    }

    /// <summary>nlohmann's string escapes: the two-character forms for \b \t \n \f \r " \\, \u00xx
    /// for other control characters, everything else (non-ASCII included) as is.</summary>
    private static void DumpString(string s, StringBuilder sb)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\f': sb.Append("\\f"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>A double as nlohmann writes it: the shortest digits that read back the same,
    /// plain notation for decimal exponents from -4 to 15 (with ".0" on whole numbers), otherwise
    /// d.ddde+XX with at least two exponent digits; NaN and infinities as null.</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d)) return "null";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var sign = d < 0 ? "-" : "";
        // "R" gives the shortest round-trip digits; take them apart into digits and a decimal exponent.
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        string mantissa = shortest;
        int exp10 = 0;
        var e = shortest.IndexOfAny(new[] { 'E', 'e' });
        if (e >= 0)
        {
            mantissa = shortest[..e];
            exp10 = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        var dot = mantissa.IndexOf('.');
        string digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int pointPos = (dot < 0 ? mantissa.Length : dot) + exp10; // digits before the decimal point
        // Strip leading zeros (0.0001 -> "00001") and trailing zeros.
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; pointPos--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int k = digits.Length, n = pointPos;
        var sb = new StringBuilder(sign);
        if (k <= n && n <= 15)
            sb.Append(digits).Append('0', n - k).Append(".0");
        else if (0 < n && n <= 15)
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        else if (-4 < n && n <= 0)
            sb.Append("0.").Append('0', -n).Append(digits);
        else
        {
            sb.Append(digits[0]);
            if (k > 1) sb.Append('.').Append(digits, 1, k - 1);
            int x = n - 1;
            sb.Append('e').Append(x < 0 ? '-' : '+');
            x = Math.Abs(x);
            sb.Append(x < 10 ? "0" + x : x.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    // ---- .attrs.sh ------------------------------------------------------------------------------

    /// <summary>bash declarations of every top-level attribute whose name is a shell variable name
    /// and whose value is a string, number, null or Boolean, or an array or object of those.</summary>
    public static string ToShell(JObject attrs)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in attrs.Members)
        {
            if (!IsShellVarName(key)) continue;
            if (Simple(value) is { } s)
            {
                sb.Append("declare ").Append(key).Append('=').Append(s).Append('\n');
            }
            else if (value is JArray a)
            {
                var items = new StringBuilder();
                bool good = true;
                foreach (var item in a.Items)
                {
                    if (Simple(item) is not { } s3) { good = false; break; }
                    items.Append(s3).Append(' ');
                }
                if (good) sb.Append("declare -a ").Append(key).Append("=(").Append(items).Append(")\n");
            }
            else if (value is JObject o)
            {
                var items = new StringBuilder();
                bool good = true;
                foreach (var (k2, v2) in o.Members)
                {
                    if (Simple(v2) is not { } s3) { good = false; break; }
                    items.Append('[').Append(ShellEscape(k2)).Append("]=").Append(s3).Append(' ');
                }
                if (good) sb.Append("declare -A ").Append(key).Append("=(").Append(items).Append(")\n");
            }
        }
        return sb.ToString();
    }

    private static bool IsShellVarName(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiLetter(s[0]) || s[0] == '_')) return false;
        foreach (var c in s) if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return true;
    }

    /// <summary>Nix 2.8 turns a number into a float, and if that is whole, prints the number
    /// converted to a 32-bit int (so large values wrap, and out-of-range doubles become INT_MIN, as
    /// on x86-64); numbers that are not whole are left out.</summary>
    private static string? Simple(JValue v) => v switch
    {
        JString s => ShellEscape(s.Value),
        JNull => "''",
        JBool b => b.Value ? "1" : "",
        JInt i => IsWholeAsFloat(i.Value) ? unchecked((int)i.Value).ToString(CultureInfo.InvariantCulture) : null,
        JUnsigned u => IsWholeAsFloat(u.Value) ? unchecked((int)u.Value).ToString(CultureInfo.InvariantCulture) : null,
        JFloat f => IsWholeAsFloat(f.Value) ? DoubleToInt32(f.Value).ToString(CultureInfo.InvariantCulture) : null,
        _ => null,
    };

    private static bool IsWholeAsFloat(double d)
    {
        float f = (float)d;
        return MathF.Ceiling(f) == f;
    }

    private static int DoubleToInt32(double d) =>
        double.IsNaN(d) || d >= 2147483648.0 || d <= -2147483649.0 ? int.MinValue : (int)d;

    /// <summary>Nix's shellEscape: single quotes, with ' written as '\''.</summary>
    public static string ShellEscape(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
