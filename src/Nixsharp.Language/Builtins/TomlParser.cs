// TOML 1.0 parser behind builtins.fromTOML, producing plain .NET values (no evaluator types).
// It reproduces what Nix 2.8 (which uses toml11) accepts, rejects and returns, leniencies included.
namespace Nixsharp.Language.Builtins;

using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

/// <summary>A TOML table: entries in insertion order, keys are byte strings.</summary>
public sealed class TomlTable
{
    // Small tables (the common case) are searched linearly; an index is built once they grow.
    private const int IndexThreshold = 8;
    private readonly List<KeyValuePair<string, object>> entries = new();
    private Dictionary<string, int>? index;

    internal TomlTable(TableKind kind, int section)
    {
        Kind = kind;
        Section = section;
    }

    public IReadOnlyList<KeyValuePair<string, object>> Entries => entries;

    public int Count => entries.Count;

    public object this[string key] =>
        TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value)
    {
        int i = IndexOf(key);
        value = i >= 0 ? entries[i].Value : null;
        return i >= 0;
    }

    /// <summary>How the table came to exist; decides which later definitions may extend it.</summary>
    internal TableKind Kind { get; set; }

    /// <summary>For dotted-key tables: the document section (header block) that created them.</summary>
    internal int Section { get; }

    internal object ValueAt(int i) => entries[i].Value;

    internal int IndexOf(string key)
    {
        if (index != null) return index.TryGetValue(key, out int found) ? found : -1;
        for (int i = 0; i < entries.Count; i++)
            if (string.Equals(entries[i].Key, key, StringComparison.Ordinal)) return i;
        return -1;
    }

    internal void Add(string key, object value)
    {
        entries.Add(new KeyValuePair<string, object>(key, value));
        if (index != null)
        {
            index[key] = entries.Count - 1;
        }
        else if (entries.Count > IndexThreshold)
        {
            index = new Dictionary<string, int>(entries.Count * 2, StringComparer.Ordinal);
            for (int i = 0; i < entries.Count; i++) index[entries[i].Key] = i;
        }
    }
}

internal enum TableKind
{
    /// <summary>Defined by a [header] (or the root): a second [header] for it is an error.</summary>
    Header,
    /// <summary>Created as a parent by a [a.b] header; may be defined by its own [header] once.</summary>
    Implicit,
    /// <summary>Created as a parent by a [[a.b]] header; toml11 treats it as already defined.</summary>
    ImplicitByArray,
    /// <summary>Created by a dotted key (a.b = 1); extensible by dotted keys of the same section.</summary>
    Dotted,
    /// <summary>An inline table { ... }: immutable once written.</summary>
    Inline,
    /// <summary>An element created by a [[array]] header.</summary>
    ArrayElement,
}

public enum TomlDateTimeKind
{
    OffsetDateTime,
    LocalDateTime,
    LocalDate,
    LocalTime,
}

/// <summary>
/// A syntactically valid (and calendar-checked) TOML date/time, kept as its original text.
/// Nix 2.8 cannot represent these: see <see cref="TomlParser"/> for what the converter must do.
/// </summary>
public sealed record TomlDateTime(string Text, TomlDateTimeKind Kind);

/// <summary>Malformed TOML. <see cref="Exception.Message"/> is formatted like toml11's report.</summary>
public sealed class TomlException : Exception
{
    public TomlException(string message) : base(message) { Reason = message; }

    public TomlException(string reason, int line, int column, string message) : base(message)
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    /// <summary>The one-line description, without the source excerpt.</summary>
    public string Reason { get; }

    /// <summary>1-based line of the offending text (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based byte column of the offending text (0 when unknown).</summary>
    public int Column { get; }
}

/// <summary>
/// Parses a TOML document given as a byte string (one char per UTF-8 byte) into
/// <see cref="TomlTable"/>, <see cref="List{T}"/> of object, string (byte string), long,
/// double, bool and <see cref="TomlDateTime"/>.
/// </summary>
/// <remarks>
/// How Nix 2.8 turns the result into Nix values (checked against nix-instantiate 2.8.0):
/// <list type="bullet">
/// <item>table → attribute set; array → list; string → string; integer → int; float → float;
/// boolean → bool. Mixed-type arrays are fine.</item>
/// <item>Any date or time anywhere in the document (offset/local date-time, local date,
/// local time) makes the whole call fail with "while parsing a TOML string: Dates and times
/// are not supported". Conversion is eager, so this happens even if the value is never used
/// (e.g. <c>(fromTOML "a = 1979-05-27\nb = 1").b</c> fails). Syntax errors anywhere win over
/// it, because the whole document is parsed first; invalid dates (1979-02-29) are syntax errors.</item>
/// <item>Parse errors are reported as "while parsing a TOML string: " + <see cref="Exception.Message"/>.
/// Both kinds are plain evaluation errors: builtins.tryEval does not catch them.</item>
/// <item>A string containing U+0000 (from "\u0000") is cut at the NUL, as Nix strings are C strings:
/// <c>"x\u0000y"</c> gives "x". The parser returns the NUL; the converter must truncate.</item>
/// <item>Integers: decimal, hex and octal literals outside the 64-bit range saturate to
/// long.MinValue/long.MaxValue (0xFFFFFFFFFFFFFFFF gives 9223372036854775807), while binary
/// literals wrap modulo 2^64 (64 one-bits give -1). The parser already does this.</item>
/// <item>Floats: overflow clamps to ±1.79769e+308 and underflow gives (±)0 (done here).
/// "nan"/"+nan" are a NaN with the sign bit clear and "-nan" one with it set; Nix prints them
/// as nan and -nan. Beware that .NET's double.NaN has the sign bit set. Floats print the usual
/// Nix way (%g, 6 digits): 1.0 → 1, 1e100 → 1e+100, 123456789.123 → 1.23457e+08.</item>
/// </list>
/// </remarks>
public static class TomlParser
{
    public static TomlTable Parse(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new Reader(document).ParseDocument();
    }

    // One instance per document: holds the cursor and the scratch buffers reused by every string.
    private sealed class Reader
    {
        private readonly string s;
        private int pos;
        // Each [header] starts a new section; dotted keys may only reopen tables of their own section.
        private int section;
        private int nextSection = 1;
        // Key components of the key/value pairs being parsed; nested inline tables push above and pop.
        private readonly List<string> keys = new();
        private readonly List<int> keyPositions = new();
        private StringBuilder? builder;

        public Reader(string document) { s = document; }

        public TomlTable ParseDocument()
        {
            var root = new TomlTable(TableKind.Header, 0);
            var current = root;
            // toml11 skips a UTF-8 byte order mark.
            if (s.StartsWith("\u00EF\u00BB\u00BF", StringComparison.Ordinal)) pos = 3;
            while (true)
            {
                SkipSpaces();
                if (pos >= s.Length) return root;
                char c = s[pos];
                if (c == '\n' || c == '\r' || c == '#')
                {
                    EndOfLine("toml::parse_table: invalid line format");
                    continue;
                }
                if (c == '[')
                {
                    current = ParseHeader(root);
                    EndOfLine("toml::parse_table_key: newline required after [table.key]");
                }
                else
                {
                    ParseKeyValue(current);
                    EndOfLine("toml::parse_table: invalid line format");
                }
            }
        }

        // ---------------------------------------------------------------- structure

        private TomlTable ParseHeader(TomlTable root)
        {
            int start = pos;
            bool arrayOfTables = pos + 1 < s.Length && s[pos + 1] == '[';
            pos += arrayOfTables ? 2 : 1;
            SkipSpaces();
            int keyStart = keys.Count;
            ParseKey();
            SkipSpaces();
            if (!Peek(']') || (arrayOfTables && !(pos + 1 < s.Length && s[pos + 1] == ']')))
                throw Error(pos, arrayOfTables ? "toml::parse_array_table_key: missing `]]`" : "toml::parse_table_key: missing `]`",
                    "expected `" + (arrayOfTables ? "]]" : "]") + "`");
            pos += arrayOfTables ? 2 : 1;
            var table = DefineHeader(root, keyStart, start, arrayOfTables);
            PopKeys(keyStart);
            section = nextSection++;
            return table;
        }

        private TomlTable DefineHeader(TomlTable root, int keyStart, int headerPos, bool arrayOfTables)
        {
            var t = root;
            int last = keys.Count - 1;
            for (int i = keyStart; i < last; i++)
            {
                int idx = t.IndexOf(keys[i]);
                if (idx < 0)
                {
                    var created = new TomlTable(arrayOfTables ? TableKind.ImplicitByArray : TableKind.Implicit, 0);
                    t.Add(keys[i], created);
                    t = created;
                    continue;
                }
                t = Descend(t.ValueAt(idx), keyStart, i, headerPos, viaDottedKey: false);
            }

            string key = keys[last];
            int found = t.IndexOf(key);
            if (found < 0)
            {
                if (!arrayOfTables)
                {
                    var table = new TomlTable(TableKind.Header, 0);
                    t.Add(key, table);
                    return table;
                }
                var element = new TomlTable(TableKind.ArrayElement, 0);
                t.Add(key, new TableArray { element });
                return element;
            }

            object existing = t.ValueAt(found);
            string path = KeyPath(keyStart, last);
            if (!arrayOfTables)
            {
                // Tables only implied so far (by [a.b] or by dotted keys) may be defined once;
                // toml11 also lets a header define a table first made by dotted keys.
                if (existing is TomlTable table && table.Kind is TableKind.Implicit or TableKind.Dotted)
                {
                    table.Kind = TableKind.Header;
                    return table;
                }
                if (existing is TomlTable)
                    throw Error(headerPos, $"toml::insert_value: table (\"{path}\") already exists.", "table defined twice");
                if (existing is List<object> list && (list is TableArray || (list.Count > 0 && list[^1] is TomlTable)))
                    throw Error(headerPos, $"toml::insert_value: array of tables (\"{path}\") already exists.",
                        "table conflicts with the previous array of table");
                throw Error(headerPos, $"toml::insert_value: value (\"{path}\") already exists.", "value defined twice");
            }

            if (existing is TableArray array)
            {
                var element = new TomlTable(TableKind.ArrayElement, 0);
                array.Add(element);
                return element;
            }
            if (existing is List<object>)
                throw Error(headerPos, $"toml::insert_value: array of table (\"{path}\") collides with existing array value",
                    "appending it to the statically sized array");
            if (existing is TomlTable)
                throw Error(headerPos, $"toml::insert_value: array of table (\"{path}\") cannot be defined",
                    "this conflicts with the previous table");
            throw Error(headerPos, $"toml::insert_value: value (\"{path}\") already exists.", "value defined twice");
        }

        /// <summary>Steps into an existing value on the way to a deeper key.</summary>
        private TomlTable Descend(object existing, int keyStart, int i, int errorPos, bool viaDottedKey)
        {
            if (existing is TomlTable table)
            {
                if (table.Kind == TableKind.Inline)
                    throw Error(errorPos, $"toml::insert_value: inserting to an inline table ({KeyPath(keyStart, i)}) but inline tables are immutable",
                        "inserting this");
                if (viaDottedKey && !(table.Kind == TableKind.Dotted && table.Section == section))
                    throw Error(errorPos, $"toml::insert_value: table (\"{KeyPath(keyStart, i)}\") already exists; dotted keys cannot extend a table defined elsewhere",
                        "value defined twice");
                return table;
            }
            // toml11 reaches through any array whose last element is a table, even a static
            // array of inline tables, and then lets that element be extended. Dotted keys may do
            // so only for an array literal written in their own section.
            if (existing is List<object> list && (!viaDottedKey || (list is ValueArray va && va.Section == section)))
            {
                if (list.Count > 0 && list[^1] is TomlTable element) return element;
                if (list.Count == 0)
                    throw Error(errorPos, $"toml::insert_value: target ({KeyPath(keyStart, i)}) is an empty array", "inserting this");
            }
            else if (existing is List<object>)
            {
                throw Error(errorPos, $"toml::insert_value: array (\"{KeyPath(keyStart, i)}\") already exists; dotted keys cannot extend an array defined elsewhere",
                    "value defined twice");
            }
            throw Error(errorPos, $"toml::insert_value: target ({KeyPath(keyStart, i)}) is neither table nor an array of tables",
                "inserting this");
        }

        private void ParseKeyValue(TomlTable target)
        {
            int keyStart = keys.Count;
            if (pos < s.Length && s[pos] == '=')
                throw Error(pos, "toml::parse_key_value_pair: empty key is not allowed.", "key expected before '='");
            if (StartsWithAt("\"\"\"") || StartsWithAt("'''"))
                throw Error(pos, "toml::parse_key_value_pair: invalid format for key", "multi-line strings cannot be keys");
            ParseKey();
            SkipSpaces();
            if (!Peek('='))
                throw Error(pos, "toml::parse_key_value_pair: missing key-value separator `=`", "should be `=`");
            pos++;
            SkipSpaces();
            if (pos >= s.Length || s[pos] is '\n' or '\r' or '#')
                throw Error(pos, "toml::parse_key_value_pair: missing value after key-value separator '='",
                    "expected value, but got nothing");
            int valuePos = pos;
            object value = ParseValue();

            var t = target;
            int last = keys.Count - 1;
            for (int i = keyStart; i < last; i++)
            {
                int idx = t.IndexOf(keys[i]);
                if (idx < 0)
                {
                    var created = new TomlTable(TableKind.Dotted, section);
                    t.Add(keys[i], created);
                    t = created;
                    continue;
                }
                t = Descend(t.ValueAt(idx), keyStart, i, keyPositions[i], viaDottedKey: true);
            }
            if (t.IndexOf(keys[last]) >= 0)
                throw Error(valuePos, $"toml::insert_value: value (\"{KeyPath(keyStart, last)}\") already exists.", "value defined twice");
            t.Add(keys[last], value);
            PopKeys(keyStart);
        }

        /// <summary>Appends the components of a (possibly dotted) key to <see cref="keys"/>.</summary>
        private void ParseKey()
        {
            while (true)
            {
                keyPositions.Add(pos);
                keys.Add(ParseSimpleKey());
                SkipSpaces();
                if (!Peek('.')) return;
                pos++;
                SkipSpaces();
            }
        }

        private string ParseSimpleKey()
        {
            if (pos < s.Length)
            {
                char c = s[pos];
                if (c == '"')
                {
                    pos++;
                    return ParseBasicString(multiline: false);
                }
                if (c == '\'')
                {
                    pos++;
                    return ParseLiteralString(multiline: false);
                }
            }
            int start = pos;
            while (pos < s.Length && IsBareKeyChar(s[pos])) pos++;
            if (pos == start)
                throw Error(start, "toml::parse_key: an invalid key appeared.", "is not a valid key");
            return s.Substring(start, pos - start);
        }

        private void PopKeys(int keyStart)
        {
            keys.RemoveRange(keyStart, keys.Count - keyStart);
            keyPositions.RemoveRange(keyStart, keyPositions.Count - keyStart);
        }

        private string KeyPath(int keyStart, int lastIncluded)
        {
            var sb = new StringBuilder();
            for (int i = keyStart; i <= lastIncluded; i++)
            {
                if (i > keyStart) sb.Append('.');
                sb.Append(keys[i]);
            }
            return sb.ToString();
        }

        // ---------------------------------------------------------------- values

        private object ParseValue()
        {
            if (pos >= s.Length) throw Error(pos, "toml::parse_value: unexpected end of input", "expected a value");
            char c = s[pos];
            switch (c)
            {
                case '"':
                    if (StartsWithAt("\"\"\""))
                    {
                        pos += 3;
                        SkipNewline();
                        return ParseBasicString(multiline: true);
                    }
                    pos++;
                    return ParseBasicString(multiline: false);
                case '\'':
                    if (StartsWithAt("'''"))
                    {
                        pos += 3;
                        SkipNewline();
                        return ParseLiteralString(multiline: true);
                    }
                    pos++;
                    return ParseLiteralString(multiline: false);
                case '[':
                    EnsureStack();
                    return ParseArray();
                case '{':
                    EnsureStack();
                    return ParseInlineTable();
                case 't':
                    if (StartsWithAt("true")) { pos += 4; return true; }
                    break;
                case 'f':
                    if (StartsWithAt("false")) { pos += 5; return false; }
                    break;
                default:
                    if (IsDigit(c) || c is '+' or '-' or 'i' or 'n') return ParseNumberOrDate();
                    break;
            }
            throw Error(pos, "bad format: unknown value appeared");
        }

        // Deeply nested arrays must give an error, not kill the process (Nix reports a stack overflow).
        private void EnsureStack()
        {
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
                throw Error(pos, "stack overflow: arrays or inline tables are nested too deeply");
        }

        private List<object> ParseArray()
        {
            int start = pos;
            pos++;
            var list = new ValueArray(section);
            while (true)
            {
                SkipSpacesCommentsNewlines();
                if (pos >= s.Length) throw Error(start, "toml::parse_array: missing closing bracket `]`", "array starts here");
                if (s[pos] == ']')
                {
                    pos++;
                    return list;
                }
                if (s[pos] == ',')
                    throw Error(pos, "toml::parse_array: value having invalid format appeared in an array", "it is not a valid value.");
                list.Add(ParseValue());
                SkipSpacesCommentsNewlines();
                if (Peek(','))
                {
                    pos++;
                    continue;
                }
                if (Peek(']'))
                {
                    pos++;
                    return list;
                }
                throw Error(pos, "toml::parse_array: missing array separator `,` after a value", "should be `,`");
            }
        }

        private TomlTable ParseInlineTable()
        {
            pos++;
            // Dotted keys inside belong to the enclosing section: toml11 lets a later dotted key
            // of that section extend them when it reaches the table through an array.
            var table = new TomlTable(TableKind.Inline, section);
            SkipSpaces();
            if (Peek('}'))
            {
                pos++;
                return table;
            }
            while (true)
            {
                ParseKeyValue(table);
                SkipSpaces();
                if (Peek(','))
                {
                    pos++;
                    SkipSpaces();
                    if (Peek('}'))
                        throw Error(pos, "toml::parse_inline_table: trailing comma is not allowed in an inline table");
                    continue;
                }
                if (Peek('}'))
                {
                    pos++;
                    return table;
                }
                // Inline tables must stay on one line: a newline or comment here is also this error.
                throw Error(pos, "toml::parse_inline_table: missing curly brace `}`", "should be `}` or `,`");
            }
        }

        // ---------------------------------------------------------------- strings

        /// <summary>Body of a "..." or """...""" string; the cursor is just past the opening quotes.</summary>
        private string ParseBasicString(bool multiline)
        {
            int open = pos;
            StringBuilder? sb = null;
            int chunk = pos;
            while (true)
            {
                if (pos >= s.Length)
                    throw Error(open, multiline ? "toml::parse_ml_basic_string: missing closing `\"\"\"`" : "toml::parse_basic_string: missing closing `\"`");
                char c = s[pos];
                if (c == '"')
                {
                    if (!multiline)
                    {
                        string result = Finish(sb, chunk, pos);
                        pos++;
                        return result;
                    }
                    int end = ClosingQuotes('"');
                    if (end >= 0)
                    {
                        string result = Finish(sb, chunk, end);
                        return result;
                    }
                    continue;
                }
                if (c == '\\')
                {
                    sb ??= Builder();
                    sb.Append(s, chunk, pos - chunk);
                    pos++;
                    ParseEscape(sb, multiline);
                    chunk = pos;
                    continue;
                }
                StringChar(multiline, "toml::parse_basic_string: the next token is not a valid string");
            }
        }

        /// <summary>Body of a '...' or '''...''' string: no escapes at all.</summary>
        private string ParseLiteralString(bool multiline)
        {
            int open = pos;
            while (true)
            {
                if (pos >= s.Length)
                    throw Error(open, multiline ? "toml::parse_ml_literal_string: missing closing `'''`" : "toml::parse_literal_string: missing closing `'`");
                if (s[pos] == '\'')
                {
                    if (!multiline)
                    {
                        pos++;
                        return s.Substring(open, pos - 1 - open);
                    }
                    int end = ClosingQuotes('\'');
                    if (end >= 0) return s.Substring(open, end - open);
                    continue;
                }
                StringChar(multiline, "toml::parse_literal_string: the next token is not a valid literal string");
            }
        }

        /// <summary>
        /// At a quote inside a multi-line string: a run of three or more closes it, and up to two
        /// extra quotes before the closing three belong to the content. Returns the content end, or -1.
        /// </summary>
        private int ClosingQuotes(char quote)
        {
            int run = 0;
            while (pos + run < s.Length && s[pos + run] == quote) run++;
            if (run < 3)
            {
                pos += run;
                return -1;
            }
            if (run > 5) throw Error(pos + 5, "toml::parse_table: invalid line format", "too many quotes");
            int end = pos + run - 3;
            pos += run;
            return end;
        }

        /// <summary>Consumes one ordinary content character (or newline / UTF-8 sequence), validating it.</summary>
        private void StringChar(bool multiline, string reason)
        {
            char c = s[pos];
            if (c == '\n' && multiline)
            {
                pos++;
                return;
            }
            if (c == '\r' && multiline && pos + 1 < s.Length && s[pos + 1] == '\n')
            {
                pos += 2;
                return;
            }
            if (c < 0x80)
            {
                if ((c < 0x20 && c != '\t') || c == 0x7F) throw Error(pos, reason, "control characters are not allowed here");
                pos++;
                return;
            }
            pos = Utf8End(pos);
        }

        private void ParseEscape(StringBuilder sb, bool multiline)
        {
            if (pos >= s.Length) throw Error(pos, "toml::parse_basic_string: the next token is not a valid string");
            char c = s[pos++];
            switch (c)
            {
                case 'b': sb.Append('\b'); return;
                case 't': sb.Append('\t'); return;
                case 'n': sb.Append('\n'); return;
                case 'f': sb.Append('\f'); return;
                case 'r': sb.Append('\r'); return;
                case '"': sb.Append('"'); return;
                case '\\': sb.Append('\\'); return;
                case 'u': AppendUtf8(sb, ParseHexEscape(4)); return;
                case 'U': AppendUtf8(sb, ParseHexEscape(8)); return;
            }
            if (multiline && c is ' ' or '\t' or '\n' or '\r')
            {
                // Line-ending backslash: trailing blanks, the newline, and all following
                // whitespace/newlines vanish. A backslash before blanks not ending the line is invalid.
                int p = pos - 1;
                while (p < s.Length && s[p] is ' ' or '\t') p++;
                if (p < s.Length && (s[p] == '\n' || (s[p] == '\r' && p + 1 < s.Length && s[p + 1] == '\n')))
                {
                    while (p < s.Length && (s[p] is ' ' or '\t' or '\n' || (s[p] == '\r' && p + 1 < s.Length && s[p + 1] == '\n'))) p++;
                    pos = p;
                    return;
                }
            }
            throw Error(pos - 2, "toml::parse_basic_string: the next token is not a valid string", "invalid escape sequence");
        }

        private int ParseHexEscape(int digits)
        {
            int start = pos;
            int value = 0;
            for (int i = 0; i < digits; i++)
            {
                int d = pos < s.Length ? HexValue(s[pos]) : -1;
                if (d < 0) throw Error(start - 2, "toml::parse_basic_string: the next token is not a valid string", "bad unicode escape");
                // Eight hex digits can exceed int; any such value is out of range anyway.
                value = value > 0x10FFFF ? value : (value << 4) | d;
                pos++;
            }
            if (value > 0x10FFFF)
                throw Error(pos, "toml::read_utf8_codepoint: input codepoint is too large.", "should be in [0x00..0x10FFFF]");
            if (value is >= 0xD800 and <= 0xDFFF)
                throw Error(pos, "toml::read_utf8_codepoint: codepoints in the range [0xD800, 0xDFFF] are not valid UTF-8.",
                    "not a valid UTF-8 codepoint");
            return value;
        }

        /// <summary>Byte strings hold UTF-8 bytes, one per char.</summary>
        private static void AppendUtf8(StringBuilder sb, int cp)
        {
            if (cp < 0x80)
            {
                sb.Append((char)cp);
            }
            else if (cp < 0x800)
            {
                sb.Append((char)(0xC0 | (cp >> 6)));
                sb.Append((char)(0x80 | (cp & 0x3F)));
            }
            else if (cp < 0x10000)
            {
                sb.Append((char)(0xE0 | (cp >> 12)));
                sb.Append((char)(0x80 | ((cp >> 6) & 0x3F)));
                sb.Append((char)(0x80 | (cp & 0x3F)));
            }
            else
            {
                sb.Append((char)(0xF0 | (cp >> 18)));
                sb.Append((char)(0x80 | ((cp >> 12) & 0x3F)));
                sb.Append((char)(0x80 | ((cp >> 6) & 0x3F)));
                sb.Append((char)(0x80 | (cp & 0x3F)));
            }
        }

        /// <summary>
        /// Validates one UTF-8 sequence starting at <paramref name="p"/> (a byte ≥ 0x80) and returns
        /// the index after it. toml11 rejects overlong forms, surrogates and code points above U+10FFFF.
        /// </summary>
        private int Utf8End(int p)
        {
            int b0 = s[p];
            int need;
            int lo = 0x80, hi = 0xBF;
            if (b0 is >= 0xC2 and <= 0xDF) need = 1;
            else if (b0 == 0xE0) { need = 2; lo = 0xA0; }
            else if (b0 is (>= 0xE1 and <= 0xEC) or 0xEE or 0xEF) need = 2;
            else if (b0 == 0xED) { need = 2; hi = 0x9F; }
            else if (b0 == 0xF0) { need = 3; lo = 0x90; }
            else if (b0 is >= 0xF1 and <= 0xF3) need = 3;
            else if (b0 == 0xF4) { need = 3; hi = 0x8F; }
            else throw Error(p, "parse_ml_basic_string: invalid utf8 sequence found");
            for (int k = 1; k <= need; k++)
            {
                int b = p + k < s.Length ? s[p + k] : -1;
                if (k == 1 ? b < lo || b > hi : b < 0x80 || b > 0xBF)
                    throw Error(p, "parse_ml_basic_string: invalid utf8 sequence found");
            }
            return p + need + 1;
        }

        private string Finish(StringBuilder? sb, int chunk, int end)
        {
            if (sb == null) return s.Substring(chunk, end - chunk);
            sb.Append(s, chunk, end - chunk);
            return sb.ToString();
        }

        private StringBuilder Builder() => (builder ??= new StringBuilder()).Clear();

        // ---------------------------------------------------------------- numbers and dates

        private object ParseNumberOrDate()
        {
            int start = pos;
            char c = s[pos];
            if (IsDigit(c))
            {
                if (DigitsAt(pos, 4) && pos + 4 < s.Length && s[pos + 4] == '-') return ParseDateTime();
                if (DigitsAt(pos, 2) && pos + 2 < s.Length && s[pos + 2] == ':') return ParseLocalTime();
                if (c == '0' && pos + 1 < s.Length)
                {
                    switch (s[pos + 1])
                    {
                        case 'x': return ParsePrefixedInteger(4, "toml::parse_hexadecimal_integer");
                        case 'o': return ParsePrefixedInteger(3, "toml::parse_octal_integer");
                        case 'b': return ParsePrefixedInteger(1, "toml::parse_binary_integer");
                    }
                }
            }

            bool negative = false;
            if (c is '+' or '-')
            {
                negative = c == '-';
                pos++;
            }
            if (StartsWithAt("inf"))
            {
                pos += 3;
                return negative ? double.NegativeInfinity : double.PositiveInfinity;
            }
            if (StartsWithAt("nan"))
            {
                pos += 3;
                return negative ? NegativeNaN : PositiveNaN;
            }

            int intStart = pos;
            if (pos >= s.Length || !IsDigit(s[pos]))
                throw Error(start, "bad format: unknown value appeared");
            ScanDigits(IsDigit, "bad integer: `_` should be surrounded by digits");
            if (s[intStart] == '0' && pos - intStart > 1)
                throw Error(intStart, "bad integer: leading zero");

            bool isFloat = false;
            if (Peek('.'))
            {
                pos++;
                if (pos >= s.Length || !IsDigit(s[pos])) throw Error(pos - 1, "bad float: invalid format");
                ScanDigits(IsDigit, "bad float: `_` should be surrounded by digits");
                isFloat = true;
            }
            if (pos < s.Length && s[pos] is 'e' or 'E')
            {
                int ePos = pos;
                pos++;
                if (pos < s.Length && s[pos] is '+' or '-') pos++;
                if (pos >= s.Length || !IsDigit(s[pos])) throw Error(ePos, "bad float: invalid format");
                ScanDigits(IsDigit, "bad float: `_` should be surrounded by digits");
                isFloat = true;
            }
            // Not a ?: expression: that would convert the long to double before boxing.
            if (isFloat) return ParseFloat(start);
            return ParseDecimal(intStart, negative);
        }

        /// <summary>Digits with single underscores between them; the cursor is on the first digit.</summary>
        private void ScanDigits(Func<char, bool> isDigit, string underscoreError)
        {
            while (pos < s.Length)
            {
                char c = s[pos];
                if (isDigit(c))
                {
                    pos++;
                }
                else if (c == '_')
                {
                    if (pos + 1 >= s.Length || !isDigit(s[pos + 1])) throw Error(pos, underscoreError);
                    pos++;
                }
                else
                {
                    return;
                }
            }
        }

        // toml11 reads decimal integers with an istream, which saturates on overflow.
        private long ParseDecimal(int digitsStart, bool negative)
        {
            ulong limit = negative ? 1UL << 63 : long.MaxValue;
            ulong acc = 0;
            for (int i = digitsStart; i < pos; i++)
            {
                char c = s[i];
                if (c == '_') continue;
                ulong d = (ulong)(c - '0');
                acc = acc > (limit - d) / 10 ? limit : acc * 10 + d;
            }
            return negative ? unchecked((long)(0UL - acc)) : (long)acc;
        }

        /// <summary>0x / 0o / 0b integers (no sign allowed); cursor on the leading 0.</summary>
        private long ParsePrefixedInteger(int bitsPerDigit, string reason)
        {
            int start = pos;
            pos += 2;
            int radix = 1 << bitsPerDigit;
            Func<char, bool> isDigit = bitsPerDigit switch
            {
                4 => static c => HexValue(c) >= 0,
                3 => static c => c is >= '0' and <= '7',
                _ => static c => c is '0' or '1',
            };
            if (pos >= s.Length || !isDigit(s[pos]))
                throw Error(start, reason, "the next token is not an integer");
            int digitsStart = pos;
            ScanDigits(isDigit, "bad integer: `_` should be surrounded by digits");

            ulong acc = 0;
            for (int i = digitsStart; i < pos; i++)
            {
                if (s[i] == '_') continue;
                ulong d = (ulong)HexValue(s[i]);
                if (bitsPerDigit == 1)
                {
                    // toml11 sums binary digits by hand, so they wrap modulo 2^64.
                    acc = unchecked(acc * 2 + d);
                }
                else
                {
                    // Hex and octal go through an istream and saturate like decimals.
                    acc = acc > (long.MaxValue - d) / (ulong)radix ? long.MaxValue : acc * (ulong)radix + d;
                }
            }
            return unchecked((long)acc);
        }

        private double ParseFloat(int start)
        {
            int length = pos - start;
            Span<char> buffer = length <= 128 ? stackalloc char[length] : new char[length];
            int n = 0;
            for (int i = start; i < pos; i++)
                if (s[i] != '_') buffer[n++] = s[i];
            double value = double.Parse(buffer[..n], NumberStyles.Float, CultureInfo.InvariantCulture);
            // Out-of-range literals become ±DBL_MAX in Nix (istream semantics), not infinity.
            if (double.IsPositiveInfinity(value)) return double.MaxValue;
            if (double.IsNegativeInfinity(value)) return double.MinValue;
            return value;
        }

        private static readonly double PositiveNaN = BitConverter.Int64BitsToDouble(0x7FF8000000000000);
        private static readonly double NegativeNaN = BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000000));

        private TomlDateTime ParseDateTime()
        {
            int start = pos;
            int year = ReadFixedDigits(4, "bad datetime: invalid format");
            Expect('-', start, "bad datetime: invalid format");
            int month = ReadFixedDigits(2, "bad datetime: invalid format");
            Expect('-', start, "bad datetime: invalid format");
            int day = ReadFixedDigits(2, "bad datetime: invalid format");
            if (month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month))
                throw Error(start, "toml::parse_date: invalid date: it does not conform RFC3339.");

            // A space separates date and time only when a digit follows; otherwise it is a plain date.
            bool hasTime = pos < s.Length && (s[pos] is 'T' or 't' ||
                (s[pos] == ' ' && pos + 1 < s.Length && IsDigit(s[pos + 1])));
            if (!hasTime) return new TomlDateTime(s.Substring(start, pos - start), TomlDateTimeKind.LocalDate);
            pos++;
            ParseTimeOfDay();

            if (pos < s.Length && s[pos] is 'Z' or 'z')
            {
                pos++;
                return new TomlDateTime(s.Substring(start, pos - start), TomlDateTimeKind.OffsetDateTime);
            }
            if (pos < s.Length && s[pos] is '+' or '-')
            {
                int offsetStart = pos;
                pos++;
                int oh = ReadFixedDigits(2, "bad offset: should be [+-]HH:MM or Z");
                Expect(':', offsetStart, "bad offset: should be [+-]HH:MM or Z");
                int om = ReadFixedDigits(2, "bad offset: should be [+-]HH:MM or Z");
                if (oh > 23 || om > 59)
                    throw Error(offsetStart, "toml::parse_offset_datetime: invalid offset: it does not conform RFC3339.");
                return new TomlDateTime(s.Substring(start, pos - start), TomlDateTimeKind.OffsetDateTime);
            }
            return new TomlDateTime(s.Substring(start, pos - start), TomlDateTimeKind.LocalDateTime);
        }

        private static int DaysInMonth(int year, int month)
        {
            if (month == 2) return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
            return month is 4 or 6 or 9 or 11 ? 30 : 31;
        }

        private TomlDateTime ParseLocalTime()
        {
            int start = pos;
            ParseTimeOfDay();
            return new TomlDateTime(s.Substring(start, pos - start), TomlDateTimeKind.LocalTime);
        }

        /// <summary>HH:MM:SS with optional fraction; seconds may be 60 (leap second), as toml11 allows.</summary>
        private void ParseTimeOfDay()
        {
            int start = pos;
            const string Bad = "bad time: should be HH:MM:SS.subsec";
            int hour = ReadFixedDigits(2, Bad);
            Expect(':', start, Bad);
            int minute = ReadFixedDigits(2, Bad);
            Expect(':', start, Bad);
            int second = ReadFixedDigits(2, Bad);
            if (Peek('.'))
            {
                pos++;
                if (pos >= s.Length || !IsDigit(s[pos])) throw Error(start, Bad);
                while (pos < s.Length && IsDigit(s[pos])) pos++;
            }
            if (hour > 23 || minute > 59 || second > 60)
                throw Error(start, "toml::parse_time: invalid time: it does not conform RFC3339.");
        }

        private int ReadFixedDigits(int count, string reason)
        {
            if (!DigitsAt(pos, count)) throw Error(pos, reason);
            int value = 0;
            for (int i = 0; i < count; i++) value = value * 10 + (s[pos++] - '0');
            return value;
        }

        private void Expect(char c, int errorPos, string reason)
        {
            if (!Peek(c)) throw Error(errorPos, reason);
            pos++;
        }

        // ---------------------------------------------------------------- whitespace and lines

        private void SkipSpaces()
        {
            while (pos < s.Length && s[pos] is ' ' or '\t') pos++;
        }

        /// <summary>After an opening """ or ''', a newline right away is not part of the content.</summary>
        private void SkipNewline()
        {
            if (Peek('\n')) pos++;
            else if (StartsWithAt("\r\n")) pos += 2;
        }

        /// <summary>Inside arrays, values may be separated by blanks, comments and newlines.</summary>
        private void SkipSpacesCommentsNewlines()
        {
            while (pos < s.Length)
            {
                char c = s[pos];
                if (c is ' ' or '\t' or '\n') pos++;
                else if (c == '\r' && pos + 1 < s.Length && s[pos + 1] == '\n') pos += 2;
                else if (c == '#') SkipComment();
                else return;
            }
        }

        /// <summary>A comment runs to the end of the line; toml11 rejects control chars and bad UTF-8 in it.</summary>
        private void SkipComment()
        {
            pos++;
            while (pos < s.Length)
            {
                char c = s[pos];
                if (c is '\n' or '\r') return;
                if (c < 0x80)
                {
                    if ((c < 0x20 && c != '\t') || c == 0x7F)
                        throw Error(pos, "toml::parse_table: invalid line format", "control characters are not allowed in comments");
                    pos++;
                }
                else
                {
                    pos = Utf8End(pos);
                }
            }
        }

        /// <summary>Requires the rest of the line to be blank or a comment, then consumes the newline.</summary>
        private void EndOfLine(string reason)
        {
            SkipSpaces();
            if (Peek('#')) SkipComment();
            if (pos >= s.Length) return;
            if (s[pos] == '\n')
            {
                pos++;
                return;
            }
            if (StartsWithAt("\r\n"))
            {
                pos += 2;
                return;
            }
            char c = s[pos];
            string shown = c is >= ' ' and < (char)0x7F ? "'" + c + "'" : "'0x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) + "'";
            throw Error(pos, reason, "expected newline, but got " + shown + ".");
        }

        // ---------------------------------------------------------------- helpers

        private bool Peek(char c) => pos < s.Length && s[pos] == c;

        private bool StartsWithAt(string literal) => string.CompareOrdinal(s, pos, literal, 0, literal.Length) == 0;

        private bool DigitsAt(int p, int count)
        {
            if (p + count > s.Length) return false;
            for (int i = p; i < p + count; i++)
                if (!IsDigit(s[i])) return false;
            return true;
        }

        private static bool IsDigit(char c) => c is >= '0' and <= '9';

        private static bool IsBareKeyChar(char c) =>
            c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-';

        private static int HexValue(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };

        /// <summary>Builds an error laid out like toml11's (which Nix prints verbatim).</summary>
        private TomlException Error(int at, string reason, string note = "here")
        {
            at = Math.Clamp(at, 0, s.Length);
            int line = 1, lineStart = 0;
            for (int i = 0; i < at; i++)
            {
                if (s[i] == '\n')
                {
                    line++;
                    lineStart = i + 1;
                }
            }
            int lineEnd = s.IndexOf('\n', lineStart);
            if (lineEnd < 0) lineEnd = s.Length;
            if (lineEnd > lineStart && s[lineEnd - 1] == '\r') lineEnd--;
            int column = at - lineStart + 1;

            string number = line.ToString(CultureInfo.InvariantCulture);
            string gutter = new(' ', number.Length + 2);
            var sb = new StringBuilder();
            sb.Append("[error] ").Append(reason).Append('\n');
            sb.Append(" --> fromTOML\n");
            sb.Append(gutter).Append("|\n");
            sb.Append(' ').Append(number).Append(" | ").Append(s, lineStart, lineEnd - lineStart).Append('\n');
            sb.Append(gutter).Append("| ").Append(' ', column - 1).Append("^--- ").Append(note);
            return new TomlException(reason, line, column, sb.ToString());
        }
    }

    /// <summary>An array made by [[header]]s: unlike a literal array, later headers may append to it.</summary>
    private sealed class TableArray : List<object>
    {
    }

    /// <summary>An array literal, remembering the section it was written in (see Descend).</summary>
    private sealed class ValueArray(int section) : List<object>
    {
        public int Section { get; } = section;
    }
}
