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
    // Where each entry was defined, for toml11-style "already exists here" reports.
    private readonly List<TomlRegion> regions = new();
    private Dictionary<string, int>? index;

    internal TomlTable()
    {
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

    internal object ValueAt(int i) => entries[i].Value;

    internal TomlRegion RegionAt(int i) => regions[i];

    internal void SetRegion(int i, TomlRegion region) => regions[i] = region;

    internal int IndexOf(string key)
    {
        if (index != null) return index.TryGetValue(key, out int found) ? found : -1;
        for (int i = 0; i < entries.Count; i++)
            if (string.Equals(entries[i].Key, key, StringComparison.Ordinal)) return i;
        return -1;
    }

    internal void Add(string key, object value, TomlRegion region)
    {
        entries.Add(new KeyValuePair<string, object>(key, value));
        regions.Add(region);
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

/// <summary>
/// The source text toml11 attaches to a value (byte offsets, end exclusive): the literal for
/// key/value pairs, the whole <c>[header]</c> for tables it defines, the key for tables implied
/// by a dotted key or a deeper header. Errors underline it, and toml11 also re-reads it to decide
/// whether a header may define an existing table, so the rules below depend on it too.
/// </summary>
internal readonly record struct TomlRegion(int Start, int End);

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

    /// <summary>1-based line of the offending text (0 when unknown); for a clash, of the second definition.</summary>
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
        // Key components of the key/value pairs being parsed; nested inline tables push above and pop.
        private readonly List<string> keys = new();
        private StringBuilder? builder;

        public Reader(string document) { s = document; }

        // As in toml11, a header's body is parsed into a table of its own, which is placed in the
        // document only once the next header line (or the end) has been read. So an error in the
        // body or in the next header line wins over a clash of the header itself, and dotted keys
        // can only build on tables made in their own section.
        public TomlTable ParseDocument()
        {
            var root = new TomlTable();
            // toml11 skips a UTF-8 byte order mark.
            if (s.StartsWith("\u00EF\u00BB\u00BF", StringComparison.Ordinal)) pos = 3;
            ParseBody(root);
            Header? pending = null;
            var pendingBody = root;
            while (pos < s.Length)
            {
                var header = ParseHeader();
                EndOfLine("toml::parse_table_key: newline required after [table.key]");
                if (pending != null) InsertSection(root, pending, pendingBody);
                pending = header;
                pendingBody = new TomlTable();
                ParseBody(pendingBody);
            }
            if (pending != null) InsertSection(root, pending, pendingBody);
            return root;
        }

        // ---------------------------------------------------------------- structure

        /// <summary>A parsed [header] or [[header]] line.</summary>
        private sealed record Header(string[] Path, TomlRegion Region, bool ArrayOfTables);

        /// <summary>Key/value lines up to the next header or the end of the document.</summary>
        private void ParseBody(TomlTable table)
        {
            while (true)
            {
                SkipSpaces();
                if (pos >= s.Length || s[pos] == '[') return;
                if (s[pos] is '\n' or '\r' or '#')
                {
                    EndOfLine("toml::parse_table: invalid line format");
                    continue;
                }
                ParseKeyValue(table);
                EndOfLine("toml::parse_table: invalid line format");
            }
        }

        private Header ParseHeader()
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
            var path = keys.GetRange(keyStart, keys.Count - keyStart).ToArray();
            PopKeys(keyStart);
            return new Header(path, new TomlRegion(start, pos), arrayOfTables);
        }

        // A header's table (and the tables it implies) are located at the whole header text.
        private void InsertSection(TomlTable root, Header header, TomlTable body) =>
            Insert(root, header.Path, 0, header.Region, body, header.Region, header.ArrayOfTables);

        /// <summary>
        /// Places a value, or a header's body, at path[first..] below <paramref name="root"/>, with
        /// toml11's rules and its two-location reports (earlier definition, then this one).
        /// </summary>
        private void Insert(TomlTable root, IReadOnlyList<string> path, int first, TomlRegion keyRegion,
            object value, TomlRegion valueRegion, bool arrayOfTables)
        {
            var t = root;
            int last = path.Count - 1;
            for (int i = first; i < last; i++)
            {
                int idx = t.IndexOf(path[i]);
                if (idx < 0)
                {
                    // An implied table is located at the key (or header) that implied it.
                    var created = new TomlTable();
                    t.Add(path[i], created, keyRegion);
                    t = created;
                    continue;
                }
                object existing = t.ValueAt(idx);
                var existingRegion = t.RegionAt(idx);
                if (existing is TomlTable table)
                {
                    if (s[existingRegion.Start] == '{')
                        throw Error($"toml::insert_value: inserting to an inline table ({KeyPath(path, first, i)}) but inline tables are immutable",
                            existingRegion, "inline tables are immutable", valueRegion, "inserting this");
                    t = table;
                    continue;
                }
                // toml11 reaches through any array whose last element is a table, even a static
                // array of inline tables, and then lets that element be extended.
                if (existing is List<object> list)
                {
                    // toml11 reads before the start of an empty array here (Nix 2.8 crashes).
                    if (list.Count == 0)
                        throw Error(valueRegion.Start, $"toml::insert_value: target ({KeyPath(path, first, i)}) is an empty array", "inserting this");
                    if (list[^1] is TomlTable element)
                    {
                        t = element;
                        continue;
                    }
                    // Only literal arrays hold non-tables; the report points at their last element.
                    existing = list[^1];
                    existingRegion = ((ValueArray)list).Regions[^1];
                }
                throw Error($"toml::insert_value: target ({KeyPath(path, first, i)}) is neither table nor an array of tables",
                    existingRegion, "actual type is " + TypeName(existing), valueRegion, "inserting this");
            }

            string key = path[last];
            int found = t.IndexOf(key);
            if (found < 0)
            {
                if (arrayOfTables) t.Add(key, new TableArray { value }, keyRegion);
                else t.Add(key, value, valueRegion);
                return;
            }

            object current = t.ValueAt(found);
            var currentRegion = t.RegionAt(found);
            string quoted = "(\"" + KeyPath(path, first, last) + "\")";
            if (arrayOfTables)
            {
                if (current is TomlTable)
                    throw Error($"toml::insert_value: array of table {quoted} cannot be defined",
                        currentRegion, "table already defined", valueRegion, "this conflicts with the previous table");
                if (current is not List<object> array || array.Count == 0 || array[0] is not TomlTable)
                    throw Error($"toml::insert_value: array of table {quoted} collides with existing value",
                        currentRegion, "this " + TypeName(current) + " value already exists", valueRegion, "while inserting this array-of-tables");
                if (array is not TableArray)
                    throw Error($"toml::insert_value: array of table {quoted} collides with existing array-of-tables",
                        currentRegion, "this array value has static size", valueRegion, "appending it to the statically sized array");
                array.Add(value);
                return;
            }

            if (current is TomlTable existingTable && value is TomlTable defined)
            {
                if (!MayDefine(currentRegion, valueRegion, path, first, last))
                    throw Error($"toml::insert_value: table {quoted} already exists.",
                        currentRegion, "table already exists here", valueRegion, "table defined twice");
                // The header fills in a table only implied so far; it may add entries, not replace them.
                // toml11 looks for a clash in the order of its hash map, which for a body of up to two
                // entries (libstdc++ puts new nodes first) is the reverse of the source order; beyond
                // that it depends on the hashes, so with several clashes it may name another one first.
                for (int i = defined.Count - 1; i >= 0; i--)
                {
                    int clash = existingTable.IndexOf(defined.Entries[i].Key);
                    if (clash >= 0)
                        throw Error($"toml::insert_value: value {quoted} already exists.",
                            existingTable.RegionAt(clash), "already exists here", valueRegion, "this defined twice");
                }
                for (int i = 0; i < defined.Count; i++)
                    existingTable.Add(defined.Entries[i].Key, defined.Entries[i].Value, defined.RegionAt(i));
                // From now on the table counts as defined by this header.
                t.SetRegion(found, keyRegion);
                return;
            }
            if (value is TomlTable && current is List<object> { Count: > 0 } tables && tables[0] is TomlTable)
                throw Error($"toml::insert_value: array of tables {quoted} already exists.",
                    currentRegion, "array of tables defined here", valueRegion, "table conflicts with the previous array of table");
            throw Error($"toml::insert_value: value {quoted} already exists.",
                currentRegion, "value already exists here", valueRegion, "value defined twice");
        }

        /// <summary>
        /// Whether a [header] may define a table that already exists. toml11 decides by re-reading
        /// the text the existing table is located at: a header naming the same path, an inline
        /// table or a [[header]] mean no; a deeper header or a dotted key only implied it, so yes
        /// (unless the dotted key is just this last key). An inline table never merges.
        /// </summary>
        private bool MayDefine(TomlRegion existing, TomlRegion inserting, IReadOnlyList<string> path, int first, int last)
        {
            if (s[inserting.Start] == '{') return false;
            char c = s[existing.Start];
            bool header = c == '[';
            if (c == '{' || (header && s[existing.Start + 1] == '[')) return false;
            int saved = pos;
            int keyStart = keys.Count;
            pos = existing.Start + (header ? 1 : 0);
            SkipSpaces();
            ParseKey();
            pos = saved;
            // A header names the whole path; a dotted key is compared with the last key alone.
            int from = header ? first : last;
            bool same = keys.Count - keyStart == last - from + 1;
            for (int i = 0; same && i < keys.Count - keyStart; i++)
                same = string.Equals(keys[keyStart + i], path[from + i], StringComparison.Ordinal);
            PopKeys(keyStart);
            return !same;
        }

        /// <summary>toml11's type names, as its reports print them.</summary>
        private static string TypeName(object value) => value switch
        {
            bool => "boolean",
            long => "integer",
            double => "floating",
            string => "string",
            TomlDateTime { Kind: TomlDateTimeKind.OffsetDateTime } => "offset_datetime",
            TomlDateTime { Kind: TomlDateTimeKind.LocalDateTime } => "local_datetime",
            TomlDateTime { Kind: TomlDateTimeKind.LocalDate } => "local_date",
            TomlDateTime => "local_time",
            List<object> => "array",
            _ => "table",
        };

        private void ParseKeyValue(TomlTable target)
        {
            int keyStart = keys.Count;
            if (pos < s.Length && s[pos] == '=')
                throw Error(pos, "toml::parse_key_value_pair: empty key is not allowed.", "key expected before '='");
            if (StartsWithAt("\"\"\"") || StartsWithAt("'''"))
                throw Error(pos, "toml::parse_key_value_pair: invalid format for key", "multi-line strings cannot be keys");
            int keyBegin = pos;
            int keyEnd = ParseKey();
            SkipSpaces();
            if (!Peek('='))
                throw Error(pos, "toml::parse_key_value_pair: missing key-value separator `=`", "should be `=`");
            pos++;
            SkipSpaces();
            if (pos >= s.Length || s[pos] is '\n' or '\r' or '#')
                throw Error(pos, "toml::parse_key_value_pair: missing value after key-value separator '='",
                    "expected value, but got nothing");
            int valueStart = pos;
            object value = ParseValue();
            Insert(target, keys, keyStart, new TomlRegion(keyBegin, keyEnd), value, new TomlRegion(valueStart, pos), arrayOfTables: false);
            PopKeys(keyStart);
        }

        /// <summary>
        /// Appends the components of a (possibly dotted) key to <see cref="keys"/>; returns where
        /// the key text ends (blanks after it excluded).
        /// </summary>
        private int ParseKey()
        {
            while (true)
            {
                keys.Add(ParseSimpleKey());
                int end = pos;
                SkipSpaces();
                if (!Peek('.')) return end;
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

        private void PopKeys(int keyStart) => keys.RemoveRange(keyStart, keys.Count - keyStart);

        private static string KeyPath(IReadOnlyList<string> path, int first, int lastIncluded)
        {
            var sb = new StringBuilder();
            for (int i = first; i <= lastIncluded; i++)
            {
                if (i > first) sb.Append('.');
                sb.Append(path[i]);
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
            var list = new ValueArray();
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
                int elementStart = pos;
                object element = ParseValue();
                list.Add(element, new TomlRegion(elementStart, pos));
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
            var table = new TomlTable();
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
            var (line, lineStart) = LineOf(at);
            string number = line.ToString(CultureInfo.InvariantCulture);
            var sb = new StringBuilder();
            sb.Append("[error] ").Append(reason).Append('\n');
            sb.Append(" --> fromTOML\n");
            sb.Append(' ', number.Length + 1).Append(" |\n");
            AppendLocation(sb, number.Length, at, 1, note);
            return new TomlException(reason, line, at - lineStart + 1, sb.ToString());
        }

        /// <summary>
        /// A clash, reported the toml11 way: where the thing was defined first, "...", then where
        /// it is defined again (always both, even when on adjacent or the same line).
        /// </summary>
        private TomlException Error(string reason, TomlRegion first, string firstNote, TomlRegion second, string secondNote)
        {
            var (firstLine, _) = LineOf(first.Start);
            var (line, lineStart) = LineOf(second.Start);
            // Both line numbers are right-aligned to the wider one.
            int width = Math.Max(firstLine, line).ToString(CultureInfo.InvariantCulture).Length;
            var sb = new StringBuilder();
            sb.Append("[error] ").Append(reason).Append('\n');
            sb.Append(" --> fromTOML\n");
            sb.Append(' ', width + 1).Append(" |\n");
            AppendLocation(sb, width, first.Start, first.End - first.Start, firstNote);
            sb.Append("\n ...\n");
            AppendLocation(sb, width, second.Start, second.End - second.Start, secondNote);
            return new TomlException(reason, line, second.Start - lineStart + 1, sb.ToString());
        }

        /// <summary>1-based line number and start offset of the line holding <paramref name="at"/>.</summary>
        private (int Line, int Start) LineOf(int at)
        {
            int line = 1, lineStart = 0;
            for (int i = 0; i < at; i++)
            {
                if (s[i] == '\n')
                {
                    line++;
                    lineStart = i + 1;
                }
            }
            return (line, lineStart);
        }

        /// <summary>
        /// One "N | line" plus marker row: "^---" under a one-character region, else one '~' per
        /// character, but never more than the line is long (a region may run onto later lines,
        /// of which only the first is shown).
        /// </summary>
        private void AppendLocation(StringBuilder sb, int width, int at, int size, string note)
        {
            var (line, lineStart) = LineOf(at);
            int lineEnd = s.IndexOf('\n', at);
            if (lineEnd < 0) lineEnd = s.Length;
            string number = line.ToString(CultureInfo.InvariantCulture);
            sb.Append(' ').Append(' ', width - number.Length).Append(number).Append(" | ");
            // Nix drops carriage returns when it prints the report; they still count in the columns.
            for (int i = lineStart; i < lineEnd; i++)
                if (s[i] != '\r') sb.Append(s[i]);
            sb.Append('\n');
            sb.Append(' ', width + 1).Append(" | ").Append(' ', at - lineStart);
            if (size == 1) sb.Append("^---");
            else sb.Append('~', Math.Min(size, lineEnd - lineStart));
            sb.Append(' ').Append(note);
        }
    }

    /// <summary>An array made by [[header]]s: unlike a literal array, later headers may append to it.</summary>
    private sealed class TableArray : List<object>
    {
    }

    /// <summary>An array literal, with where each element was written (for "actual type is" reports).</summary>
    private sealed class ValueArray : List<object>
    {
        public List<TomlRegion> Regions { get; } = new();

        public void Add(object element, TomlRegion region)
        {
            Add(element);
            Regions.Add(region);
        }
    }
}
