// builtins.fromJSON: a JSON parser over byte strings whose results and error messages follow
// the JSON library Nix 2.8 uses (integers that overflow int64 wrap, "\u0000" ends a string,
// errors read "[json.exception.parse_error.101] parse error at line L, column C: …").
namespace Nixsharp.Language.Output;

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Nixsharp.Language.Evaluation;

public sealed class JsonParseException : Exception
{
    public JsonParseException(string message) : base(message) { }
}

public sealed class JsonReader
{
    private enum Tok { BeginArray, EndArray, BeginObject, EndObject, Colon, Comma, String, Number, True, False, Null, End, Error }

    private readonly EvalState _st;
    private readonly string _s;
    private int _i;            // next char to read
    private int _line = 1, _col; // position as the library counts it
    private int _prevCol;
    // PERF: the text read since the last token reset is only needed for error messages, so it
    // is kept as a start index into the input rather than copied character by character.
    private int _tokenStart;
    private string _errorMessage = "";
    private Tok _tok;
    // The last string token: a slice of the input (PERF: object keys are interned straight from
    // it, never copied) or, when it had escapes, the decoded string.
    private string? _strValue;
    private int _plainStart, _plainLength;
    private string StrValue => _strValue ??= _s.Substring(_plainStart, _plainLength);
    private ReadOnlySpan<char> StrSpan => _strValue is { } v ? v : _s.AsSpan(_plainStart, _plainLength);
    private Value _numValue = IntValue.Of(0);
    private int _depth;
    // Scratch stacks for the arrays and objects being read, shared by all nesting levels.
    private readonly List<Value> _items = new();
    private readonly List<Symbol> _keys = new();
    private readonly List<Value> _values = new();
    private readonly NameArrayCache _shapes = new();

    private JsonReader(EvalState st, string s) { _st = st; _s = s; }

    public static Value Parse(EvalState st, string s)
    {
        var r = new JsonReader(st, s);
        r.Next();
        var v = r.ParseValue();
        if (r._tok != Tok.End) throw r.Error(Tok.End, "value");
        return v;
    }

    private const int Eof = -1;
    private int _current;
    private bool _unget;

    private int Get()
    {
        _col++;
        if (_unget) { _unget = false; }
        else _current = _i < _s.Length ? _s[_i++] : Eof;
        if (_current == '\n') { _line++; _prevCol = _col; _col = 0; }
        return _current;
    }

    private void Unget()
    {
        _unget = true;
        if (_col == 0 && _line > 1) { _line--; _col = _prevCol; }
        _col--;
    }

    /// <summary>Starts the token text at the current character.</summary>
    private void Reset() => _tokenStart = _current == Eof ? _i : _i - 1;

    private string TokenString => TokenSpan.ToString();

    private ReadOnlySpan<char> TokenSpan
    {
        get
        {
            int end = _unget && _current != Eof ? _i - 1 : _i;
            return end > _tokenStart ? _s.AsSpan(_tokenStart, end - _tokenStart) : default;
        }
    }

    private void Next()
    {
        do Get(); while (_current is ' ' or '\t' or '\n' or '\r');
        switch (_current)
        {
            case '[': _tok = Tok.BeginArray; return;
            case ']': _tok = Tok.EndArray; return;
            case '{': _tok = Tok.BeginObject; return;
            case '}': _tok = Tok.EndObject; return;
            case ':': _tok = Tok.Colon; return;
            case ',': _tok = Tok.Comma; return;
            case 't': _tok = Literal("true", Tok.True); return;
            case 'f': _tok = Literal("false", Tok.False); return;
            case 'n': _tok = Literal("null", Tok.Null); return;
            case '"': _tok = ScanString(); return;
            case '-': case >= '0' and <= '9': _tok = ScanNumber(); return;
            case Eof: _tok = Tok.End; return;
            default:
                _errorMessage = "invalid literal";
                _tok = Tok.Error;
                return;
        }
    }

    private Tok Literal(string text, Tok t)
    {
        for (int k = 1; k < text.Length; k++)
        {
            if (Get() != text[k])
            {
                _errorMessage = "invalid literal";
                return Tok.Error;
            }
        }
        return t;
    }

    private Tok ScanString()
    {
        Reset();
        // PERF: most strings have no escapes; take them straight from the input.
        if (!_unget)
        {
            int j = _i;
            while (j < _s.Length && _s[j] != '"' && _s[j] != '\\' && _s[j] >= 0x20) j++;
            if (j < _s.Length && _s[j] == '"')
            {
                // (The scan stops at control characters, so no NUL is inside.)
                _strValue = null;
                _plainStart = _i;
                _plainLength = j - _i;
                _col += j + 1 - _i;
                _i = j + 1;
                _current = '"';
                return Tok.String;
            }
        }
        var sb = new StringBuilder();
        while (true)
        {
            int c = Get();
            switch (c)
            {
                case Eof:
                    _errorMessage = "invalid string: missing closing quote";
                    return Tok.Error;
                case '"':
                    // A NUL byte ends a C string: Nix keeps only what precedes it.
                    var str = sb.ToString();
                    int nul = str.IndexOf('\0');
                    _strValue = nul >= 0 ? str.Substring(0, nul) : str;
                    return Tok.String;
                case '\\':
                {
                    int e = Get();
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                        {
                            int cp = ReadHex4();
                            if (cp < 0)
                            {
                                _errorMessage = "invalid string: '\\u' must be followed by 4 hex digits";
                                return Tok.Error;
                            }
                            if (cp is >= 0xD800 and <= 0xDBFF)
                            {
                                if (Get() == '\\' && Get() == 'u')
                                {
                                    int lo = ReadHex4();
                                    if (lo is >= 0xDC00 and <= 0xDFFF)
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                    else
                                    {
                                        _errorMessage = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
                                        return Tok.Error;
                                    }
                                }
                                else
                                {
                                    _errorMessage = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
                                    return Tok.Error;
                                }
                            }
                            else if (cp is >= 0xDC00 and <= 0xDFFF)
                            {
                                _errorMessage = "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF";
                                return Tok.Error;
                            }
                            AppendUtf8(sb, cp);
                            break;
                        }
                        default:
                            _errorMessage = "invalid string: forbidden character after backslash";
                            return Tok.Error;
                    }
                    break;
                }
                default:
                    if (c < 0x20)
                    {
                        _errorMessage = $"invalid string: control character U+{c:X4} ({ControlName(c)}) must be escaped to \\u{c:X4}" + (c is 0x0A ? " or \\n" : c is 0x09 ? " or \\t" : c is 0x0D ? " or \\r" : c is 0x08 ? " or \\b" : c is 0x0C ? " or \\f" : "");
                        return Tok.Error;
                    }
                    sb.Append((char)c);
                    break;
            }
        }
    }

    private static string ControlName(int c) => c switch
    {
        0 => "NUL", 1 => "SOH", 2 => "STX", 3 => "ETX", 4 => "EOT", 5 => "ENQ", 6 => "ACK", 7 => "BEL",
        8 => "BS", 9 => "HT", 10 => "LF", 11 => "VT", 12 => "FF", 13 => "CR", 14 => "SO", 15 => "SI",
        16 => "DLE", 17 => "DC1", 18 => "DC2", 19 => "DC3", 20 => "DC4", 21 => "NAK", 22 => "SYN",
        23 => "ETB", 24 => "CAN", 25 => "EM", 26 => "SUB", 27 => "ESC", 28 => "FS", 29 => "GS",
        30 => "RS", _ => "US",
    };

    private int ReadHex4()
    {
        int v = 0;
        for (int k = 0; k < 4; k++)
        {
            int c = Get();
            int d = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => -1,
            };
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v;
    }

    private static void AppendUtf8(StringBuilder sb, int cp)
    {
        Span<byte> buf = stackalloc byte[4];
        int n = new Rune(cp).EncodeToUtf8(buf);
        for (int k = 0; k < n; k++) sb.Append((char)buf[k]);
    }

    private Tok ScanNumber()
    {
        Reset();
        bool isFloat = false;
        int c = _current;
        if (c == '-')
        {
            c = Get();
            if (c is < '0' or > '9')
            {
                _errorMessage = "invalid number; expected digit after '-'";
                return Tok.Error;
            }
        }
        if (c == '0')
        {
            c = Get();
        }
        else
        {
            while ((c = Get()) is >= '0' and <= '9') { }
        }
        if (c == '.')
        {
            isFloat = true;
            c = Get();
            if (c is < '0' or > '9')
            {
                _errorMessage = "invalid number; expected digit after '.'";
                return Tok.Error;
            }
            while ((c = Get()) is >= '0' and <= '9') { }
        }
        if (c is 'e' or 'E')
        {
            isFloat = true;
            c = Get();
            if (c is '+' or '-') c = Get();
            if (c is < '0' or > '9')
            {
                _errorMessage = "invalid number; expected digit after exponent sign";
                return Tok.Error;
            }
            while ((c = Get()) is >= '0' and <= '9') { }
        }
        Unget();
        // PERF: the token text is exactly the number, so it is parsed in place.
        var t = TokenSpan;
        if (!isFloat)
        {
            if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                _numValue = IntValue.Of(l);
                return Tok.Number;
            }
            if (t[0] != '-' && ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var u))
            {
                // An unsigned 64-bit number: Nix stores it as a signed integer, so it wraps.
                _numValue = IntValue.Of(unchecked((long)u));
                return Tok.Number;
            }
        }
        _numValue = new FloatValue(double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture));
        return Tok.Number;
    }

    private static string TokName(Tok t) => t switch
    {
        Tok.True => "true literal", Tok.False => "false literal", Tok.Null => "null literal",
        Tok.String => "string literal", Tok.Number => "number literal", Tok.BeginArray => "'['",
        Tok.BeginObject => "'{'", Tok.EndArray => "']'", Tok.EndObject => "'}'", Tok.Colon => "':'",
        Tok.Comma => "','", Tok.Error => "<parse error>", _ => "end of input",
    };

    private JsonParseException Error(Tok? expected, string context, string? expectedText = null)
    {
        var sb = new StringBuilder();
        sb.Append("[json.exception.parse_error.101] parse error at line ").Append(_line)
          .Append(", column ").Append(_col).Append(": syntax error while parsing ").Append(context).Append(" - ");
        if (_tok == Tok.Error) sb.Append(_errorMessage).Append("; last read: '").Append(TokenString).Append('\'');
        else sb.Append("unexpected ").Append(TokName(_tok));
        if (expectedText is not null) sb.Append("; expected ").Append(expectedText);
        else if (expected is { } e) sb.Append("; expected ").Append(TokName(e));
        return new JsonParseException(sb.ToString());
    }

    private Value ParseValue()
    {
        if (++_depth > 100000) throw new JsonParseException("JSON nesting too deep");
        try
        {
            switch (_tok)
            {
                case Tok.True: Next(); return BoolValue.True;
                case Tok.False: Next(); return BoolValue.False;
                case Tok.Null: Next(); return NullValue.Instance;
                case Tok.Number: { var v = _numValue; Next(); return v; }
                case Tok.String: { var v = StringToken(); Next(); return v; }
                case Tok.BeginArray:
                {
                    Next();
                    if (_tok == Tok.EndArray) { Next(); return ListValue.Empty; }
                    // PERF: items collect on one stack shared by all nesting levels.
                    int start = _items.Count;
                    while (true)
                    {
                        _items.Add(ParseValue());
                        if (_tok == Tok.Comma) { Next(); continue; }
                        if (_tok == Tok.EndArray) break;
                        throw Error(Tok.EndArray, "array");
                    }
                    Next();
                    var arr = CollectionsMarshal.AsSpan(_items)[start..].ToArray();
                    _items.RemoveRange(start, arr.Length);
                    return ListValue.Of(arr);
                }
                case Tok.BeginObject:
                {
                    Next();
                    if (_tok == Tok.EndObject) { Next(); return AttrsValue.Empty; }
                    int start = _keys.Count;
                    while (true)
                    {
                        if (_tok != Tok.String) throw Error(Tok.String, "object key");
                        var key = _st.Symbols.Intern(StrSpan);
                        Next();
                        if (_tok != Tok.Colon) throw Error(Tok.Colon, "object separator");
                        Next();
                        var value = ParseValue();
                        _keys.Add(key);
                        _values.Add(value);
                        if (_tok == Tok.Comma) { Next(); continue; }
                        if (_tok == Tok.EndObject) break;
                        throw Error(Tok.EndObject, "object");
                    }
                    Next();
                    var set = BuildObject(start);
                    _keys.RemoveRange(start, _keys.Count - start);
                    _values.RemoveRange(start, _values.Count - start);
                    return set;
                }
                case Tok.Error:
                    throw Error(null, "value");
                default:
                    throw Error(null, "value", "'[', '{', or a literal");
            }
        }
        finally { _depth--; }
    }

    /// <summary>The string token as a value. PERF: equal short strings (the values that arrays of
    /// records repeat) share one StringValue, whose identity nothing can observe.</summary>
    private StringValue StringToken()
    {
        var span = StrSpan;
        if (span.Length > MaxSharedString) return StringValue.Of(StrValue);
        if (_strings is null)
        {
            _strings = new Dictionary<string, StringValue>(StringComparer.Ordinal);
            _stringsBySpan = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        }
        if (_stringsBySpan.TryGetValue(span, out var known)) return known;
        var v = StringValue.Of(StrValue);
        _strings[v.S] = v;
        return v;
    }

    private const int MaxSharedString = 32;
    private Dictionary<string, StringValue>? _strings;
    private Dictionary<string, StringValue>.AlternateLookup<ReadOnlySpan<char>> _stringsBySpan;

    /// <summary>The set of the keys and values from `start` on; of duplicate keys the last one
    /// wins, as in Nix's JSON library.</summary>
    private AttrsValue BuildObject(int start)
    {
        var keys = CollectionsMarshal.AsSpan(_keys)[start..];
        var vals = CollectionsMarshal.AsSpan(_values)[start..];
        int n = keys.Length;
        if (n > 16) SortLarge(keys, vals);
        // Stable insertion sort by symbol id (most objects are small); keys and values move together.
        for (int i = 1; i < n; i++)
        {
            var k = keys[i];
            var v = vals[i];
            int j = i - 1;
            while (j >= 0 && keys[j].Id > k.Id)
            {
                keys[j + 1] = keys[j];
                vals[j + 1] = vals[j];
                j--;
            }
            keys[j + 1] = k;
            vals[j + 1] = v;
        }
        // Drop all but the last of equal keys.
        int m = 0;
        for (int i = 0; i < n; i++)
        {
            if (m > 0 && ReferenceEquals(keys[m - 1], keys[i])) m--;
            keys[m] = keys[i];
            vals[m] = vals[i];
            m++;
        }
        var (names, order) = _shapes.Share(keys[..m]);
        return new AttrsValue(names, vals[..m].ToArray(), null, order);
    }

    /// <summary>Sorts a large object's entries by (symbol id, position), stably.</summary>
    private static void SortLarge(Span<Symbol> keys, Span<Value> vals)
    {
        int n = keys.Length;
        var sortKeys = new long[n];
        var from = new int[n];
        for (int i = 0; i < n; i++)
        {
            sortKeys[i] = ((long)keys[i].Id << 32) | (uint)i;
            from[i] = i;
        }
        Array.Sort(sortKeys, from);
        var k0 = keys.ToArray();
        var v0 = vals.ToArray();
        for (int i = 0; i < n; i++)
        {
            keys[i] = k0[from[i]];
            vals[i] = v0[from[i]];
        }
    }
}
