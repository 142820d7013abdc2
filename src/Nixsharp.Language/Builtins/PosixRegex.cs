// Translates the regular expressions of builtins.match/split (libstdc++ std::regex, extended flavour) to .NET syntax.
// Nix accepts, rejects and matches by libstdc++'s rules, quirks included, so the translation mirrors those, not POSIX.
namespace Nixsharp.Language.Builtins;

using System.Text;
using System.Text.RegularExpressions;

/// <summary>A pattern that Nix (libstdc++) would refuse; Message is Nix's own wording.</summary>
public sealed class RegexSyntaxException : Exception
{
    public RegexSyntaxException(string pattern, string reason)
        : base($"invalid regular expression '{pattern}'")
    {
        Pattern = pattern;
        Reason = reason;
    }

    public string Pattern { get; }

    /// <summary>Why the pattern is invalid, for debugging; Nix itself never shows this.</summary>
    public string Reason { get; }
}

/// <summary>
/// POSIX ERE as the libstdc++ inside Nix 2.8 implements std::regex::extended, on byte strings
/// (one char per byte). Behaviour established against nix-instantiate 2.8:
/// <list type="bullet">
/// <item>Outside brackets a backslash may only quote one of <c>^$\.*+?()[{|</c>; anything else (<c>\d</c>,
/// <c>\n</c>, <c>\1</c>, <c>\]</c>, <c>\}</c>, trailing <c>\</c>) is an invalid pattern. <c>]</c> and <c>}</c>
/// are ordinary characters.</item>
/// <item><c>{</c> always opens an interval: <c>a{</c>, <c>a{x}</c>, <c>a{,2}</c>, <c>a{2,1}</c>, <c>a{ 1}</c> and
/// a leading <c>{</c> are invalid. Counts are accumulated in a wrapping 32-bit int; a negative minimum acts as 0.</item>
/// <item>Quantifiers stack: <c>a**</c> is (a*)*, and <c>a*?</c> is (a*)? — not lazy. A quantifier with nothing to
/// repeat (<c>*a</c>, <c>a|*b</c>, <c>(*a)</c>) or after an anchor (<c>^*</c>) is invalid; so is an unmatched
/// <c>(</c> or <c>)</c>. Empty groups and alternatives (<c>()</c>, <c>a|</c>, <c>|a</c>) are fine.</item>
/// <item><c>^</c> and <c>$</c> are anchors anywhere (<c>a^b</c> never matches) and only at the very start/end of
/// the string, never at newlines. <c>.</c> matches every byte, newline included.</item>
/// <item>In brackets a backslash is an ordinary character (<c>[\.]</c> is backslash or dot). A leading <c>]</c>
/// (after an optional <c>^</c>) is literal. A <c>-</c> is literal first, last, or as a range end (<c>[!--]</c>);
/// after a completed range or a class it is an error unless the bracket closes (<c>[a-c-e]</c> is invalid).
/// Range ends compare as signed chars: <c>[a-\xE9]</c> is reversed (invalid), <c>[\xE9-a]</c> covers
/// 0xE9–0xFF and 0x00–0x61.</item>
/// <item>Classes are the C locale's, ASCII only, names case-insensitive, plus libstdc++'s extra <c>d</c>,
/// <c>w</c> (alnum and <c>_</c>) and <c>s</c>. Collating elements and equivalence classes accept only the
/// POSIX character names of libstdc++'s table (<c>[[.hyphen.]]</c>, <c>[[.a.]]</c>; not <c>[[.-.]]</c>);
/// an equivalence class also matches the other letter case.</item>
/// <item>libstdc++ refuses automata of more than 100000 states ("memory limit exceeded by regular expression",
/// e.g. <c>a{99999}</c>); that limit is not reproduced: such patterns are accepted here.</item>
/// </list>
/// Matching: libstdc++ runs a backtracking search that tries alternatives left first and greedy loops longest
/// first, and for a whole-string match (builtins.match) keeps the first path that succeeds, so .NET's
/// backtracking gives the same groups: <c>(a|ab)(c|bcd)(d*)</c> on "abcd" is ["a" "bcd" ""]. Known differences,
/// neither expressible in a .NET pattern, so not emulated:
/// <list type="bullet">
/// <item>A search (builtins.split) explores both sides of every <c>|</c> and keeps the longest match found (the
/// earlier path on ties), where .NET takes the first: <c>a|ab</c> splits "abc" at "ab" in Nix, at "a" here.
/// Patterns without <c>|</c> search alike (libstdc++ never backs a greedy loop off once it has a match).</item>
/// <item>In a loop whose body can match the empty string, libstdc++ lets an empty iteration be followed by
/// another one at the same place, and unrolls <c>{m,n}</c> into nested optionals; .NET leaves the loop after an
/// empty iteration. Only the captures of groups inside such a loop can differ, e.g. <c>((^)|(.*))+</c> on "b"
/// gives ["" "" ""] in Nix and ["" null ""] here; whether and where it matches is the same.</item>
/// </list>
/// </summary>
public static class PosixRegex
{
    /// <summary>
    /// Translates a POSIX ERE (libstdc++ std::regex::extended semantics) to a .NET pattern with the same groups,
    /// meant for RegexOptions.CultureInvariant without any other option. Every char of the pattern must be a
    /// byte (0–255). Throws <see cref="RegexSyntaxException"/> for patterns Nix rejects.
    /// </summary>
    public static string Translate(string ere)
    {
        ArgumentNullException.ThrowIfNull(ere);
        foreach (var c in ere)
            if (c > 0xFF) throw new ArgumentException("regular expressions are byte strings", nameof(ere));
        return new Translator(ere).Run();
    }

    private sealed class Translator(string ere)
    {
        private readonly string _re = ere;
        private int _pos;

        public string Run()
        {
            var result = Disjunction();
            // Disjunction stops at the first thing no term can start with: a stray ')' or a quantifier.
            if (_pos < _re.Length)
                throw Fail(_re[_pos] == ')' ? "unmatched ')'" : $"'{_re[_pos]}' has nothing to repeat");
            return result;
        }

        private RegexSyntaxException Fail(string reason) => new(_re, reason);

        private bool AtEnd => _pos >= _re.Length;

        private string Disjunction()
        {
            var sb = new StringBuilder();
            sb.Append(Alternative());
            while (!AtEnd && _re[_pos] == '|')
            {
                _pos++;
                sb.Append('|').Append(Alternative());
            }
            return sb.ToString();
        }

        private string Alternative()
        {
            var sb = new StringBuilder();
            while (!AtEnd)
            {
                var c = _re[_pos];
                if (c is '|' or ')' or '*' or '+' or '?' or '{') break;
                if (c == '^' || c == '$')
                {
                    // Anchors take no quantifier; a following one ends the alternative and is reported by the caller.
                    _pos++;
                    sb.Append(c == '^' ? @"\A" : @"\z");
                    continue;
                }
                var atom = Atom();
                var quantified = false;
                while (!AtEnd && _re[_pos] is '*' or '+' or '?' or '{')
                {
                    var q = Quantifier();
                    // A second quantifier must apply to the first one's result: .NET would read `a*?` as lazy
                    // and reject `a**`, where libstdc++ means (a*)? and (a*)*.
                    atom = quantified ? "(?:" + atom + ")" + q : atom + q;
                    quantified = true;
                }
                sb.Append(atom);
            }
            return sb.ToString();
        }

        /// <summary>One .NET atom, so that a quantifier appended to it applies to all of it.</summary>
        private string Atom()
        {
            var c = _re[_pos++];
            switch (c)
            {
                case '.':
                    return "(?s:.)";
                case '(':
                {
                    var inner = Disjunction();
                    if (AtEnd || _re[_pos] != ')')
                        throw Fail(AtEnd ? "unmatched '('" : $"'{_re[_pos]}' has nothing to repeat");
                    _pos++;
                    return "(" + inner + ")";
                }
                case '[':
                    return Bracket();
                case '\\':
                    if (AtEnd) throw Fail("trailing backslash");
                    c = _re[_pos++];
                    // libstdc++ rejects a backslash before a char that is not special; ']' and '}' do not count as special.
                    if ("^$\\.*+?()[{|".Contains(c)) return Literal(c);
                    throw Fail($"invalid escape '\\{c}'");
                default:
                    return Literal(c);
            }
        }

        private string Quantifier()
        {
            var c = _re[_pos++];
            if (c != '{') return c.ToString();
            var min = Count() ?? throw Fail("interval without a minimum");
            int? max = min;
            if (!AtEnd && _re[_pos] == ',')
            {
                _pos++;
                max = Count();
            }
            if (AtEnd || _re[_pos] != '}') throw Fail("malformed interval");
            _pos++;
            if (max < min) throw Fail("interval maximum below minimum");
            // The loops libstdc++ builds from a count run zero times for a negative one.
            var lo = Math.Max(min, 0);
            if (max is null) return "{" + lo + ",}";
            var hi = Math.Max(max.Value, 0);
            return lo == hi ? "{" + lo + "}" : "{" + lo + "," + hi + "}";
        }

        private int? Count()
        {
            if (AtEnd || !char.IsAsciiDigit(_re[_pos])) return null;
            // Overflow wraps as in libstdc++'s int accumulator: Nix treats a{4294967297} as a{1}.
            var v = 0;
            while (!AtEnd && char.IsAsciiDigit(_re[_pos]))
                v = unchecked(v * 10 + (_re[_pos++] - '0'));
            return v;
        }

        private string Bracket()
        {
            var set = new bool[256];
            var negate = !AtEnd && _re[_pos] == '^';
            if (negate) _pos++;
            // The last single char, not yet added because a '-' may still make it a range start.
            var pending = -1;
            // Whether the last element was a class or equivalence class, which cannot start a range.
            var afterClass = false;
            for (var first = true; ; first = false)
            {
                if (AtEnd) throw Fail("unmatched '['");
                var c = _re[_pos++];
                if (c == ']' && !first) break;
                if (c == '-' && !first)
                {
                    if (AtEnd) throw Fail("unmatched '['");
                    if (_re[_pos] == ']')
                    {
                        // A dash right before the closing bracket is literal, whatever preceded it.
                        _pos++;
                        set['-'] = true;
                        break;
                    }
                    if (pending < 0 || afterClass) throw Fail("'-' after a range or class");
                    // Only a plain char (or another dash) may end a range, not [.x.].
                    if (OpensBracketItem(_pos)) throw Fail("range end is not a character");
                    AddRange(set, pending, _re[_pos++]);
                    pending = -1;
                    continue;
                }
                if (pending >= 0) set[pending] = true;
                pending = -1;
                afterClass = false;
                if (c == '[' && OpensBracketItem(_pos - 1))
                {
                    var kind = _re[_pos++];
                    var end = _re.IndexOf(kind, _pos);
                    if (end < 0 || end + 1 >= _re.Length || _re[end + 1] != ']')
                        throw Fail($"unterminated '[{kind}'");
                    var name = _re[_pos..end];
                    _pos = end + 2;
                    if (kind == '.')
                    {
                        pending = CollatingChar(name);
                        continue;
                    }
                    afterClass = true;
                    if (kind == ':')
                    {
                        AddClass(set, name);
                        continue;
                    }
                    // In the C locale a letter's primary collation key ignores case, so [=a=] is also 'A'.
                    var e = CollatingChar(name);
                    set[e] = true;
                    if (char.IsAsciiLetter((char)e)) set[e ^ 0x20] = true;
                    continue;
                }
                pending = c;
            }
            if (pending >= 0) set[pending] = true;
            if (negate)
                for (var i = 0; i < set.Length; i++) set[i] = !set[i];
            return ClassFromSet(set);
        }

        /// <summary>Whether a '[' at <paramref name="at"/> starts [:class:], [=equiv=] or [.collating.].</summary>
        private bool OpensBracketItem(int at) =>
            at + 1 < _re.Length && _re[at] == '[' && _re[at + 1] is '.' or ':' or '=';

        private void AddRange(bool[] set, int lo, int hi)
        {
            // libstdc++ compares plain chars, which are signed on the platforms Nix is built for.
            var slo = (sbyte)(byte)lo;
            var shi = (sbyte)(byte)hi;
            if (slo > shi) throw Fail("reversed range");
            for (int v = slo; v <= shi; v++) set[(byte)(sbyte)v] = true;
        }

        private void AddClass(bool[] set, string name)
        {
            Func<int, bool> test = name.ToLowerInvariant() switch
            {
                "alpha" => b => char.IsAsciiLetter((char)b),
                "digit" or "d" => b => b is >= '0' and <= '9',
                "alnum" => b => char.IsAsciiLetterOrDigit((char)b),
                "w" => b => char.IsAsciiLetterOrDigit((char)b) || b == '_',
                "upper" => b => b is >= 'A' and <= 'Z',
                "lower" => b => b is >= 'a' and <= 'z',
                "space" or "s" => b => b is (>= 0x09 and <= 0x0D) or 0x20,
                "blank" => b => b is 0x09 or 0x20,
                "punct" => b => b is >= 0x21 and <= 0x7E && !char.IsAsciiLetterOrDigit((char)b),
                "print" => b => b is >= 0x20 and <= 0x7E,
                "graph" => b => b is >= 0x21 and <= 0x7E,
                "cntrl" => b => b < 0x20 || b == 0x7F,
                "xdigit" => b => char.IsAsciiHexDigit((char)b),
                _ => throw Fail($"unknown character class '{name}'"),
            };
            for (var b = 0; b < 256; b++)
                if (test(b)) set[b] = true;
        }

        private int CollatingChar(string name)
        {
            // libstdc++ looks [.x.] and [=x=] up only in its table of POSIX character names, in which a letter
            // is its own name but a digit or punctuation char is not ("zero", "hyphen", …).
            if (name.Length == 1 && char.IsAsciiLetter(name[0])) return name[0];
            var code = Array.IndexOf(CharNames, name);
            return code >= 0 ? code : throw Fail($"unknown collating element '{name}'");
        }

        // Indexed by char code; letters are null since they are handled above.
        private static readonly string?[] CharNames = BuildNames();

        private static string?[] BuildNames()
        {
            string?[] names =
            [
                "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "alert", "backspace", "tab", "newline",
                "vertical-tab", "form-feed", "carriage-return", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4",
                "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "IS4", "IS3", "IS2", "IS1",
                "space", "exclamation-mark", "quotation-mark", "number-sign", "dollar-sign", "percent-sign",
                "ampersand", "apostrophe", "left-parenthesis", "right-parenthesis", "asterisk", "plus-sign",
                "comma", "hyphen", "period", "slash", "zero", "one", "two", "three", "four", "five", "six",
                "seven", "eight", "nine", "colon", "semicolon", "less-than-sign", "equals-sign",
                "greater-than-sign", "question-mark", "commercial-at",
            ];
            Array.Resize(ref names, 128);
            names['['] = "left-square-bracket";
            names['\\'] = "backslash";
            names[']'] = "right-square-bracket";
            names['^'] = "circumflex";
            names['_'] = "underscore";
            names['`'] = "grave-accent";
            names['{'] = "left-curly-bracket";
            names['|'] = "vertical-line";
            names['}'] = "right-curly-bracket";
            names['~'] = "tilde";
            names[0x7F] = "DEL";
            return names;
        }

        private static string ClassFromSet(bool[] set)
        {
            var sb = new StringBuilder("[");
            for (var lo = 0; lo < set.Length; lo++)
            {
                if (!set[lo]) continue;
                var hi = lo;
                while (hi + 1 < set.Length && set[hi + 1]) hi++;
                AppendClassChar(sb, lo);
                if (hi > lo)
                {
                    if (hi > lo + 1) sb.Append('-');
                    AppendClassChar(sb, hi);
                }
                lo = hi;
            }
            // .NET has no empty class; this one contains nothing (chars are bytes, and there are no others).
            if (sb.Length == 1) return @"[^\x00-\uFFFF]";
            return sb.Append(']').ToString();
        }

        private static void AppendClassChar(StringBuilder sb, int b)
        {
            if (char.IsAsciiLetterOrDigit((char)b)) sb.Append((char)b);
            else sb.Append(@"\x").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        private static string Literal(char c)
        {
            if (char.IsAsciiLetterOrDigit(c) || c == '_') return c.ToString();
            // Quoting a punctuation char is always literal in .NET; the rest (space, controls, high bytes) go in
            // hex so options like IgnorePatternWhitespace could never change their meaning.
            if (c is > ' ' and < (char)0x7F) return "\\" + c;
            return @"\x" + ((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>
/// Compiled regexes of one evaluation, keyed by the ERE (not static: evaluations share no mutable state).
/// Invalid patterns are not cached and throw each time they are asked for, as in Nix.
/// </summary>
public sealed class RegexCache
{
    private readonly Dictionary<string, Regex> _search = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Regex> _whole = new(StringComparer.Ordinal);

    /// <summary>The unanchored regex, for searching (builtins.split).</summary>
    public Regex Get(string ere) => Lookup(_search, ere, anchored: false);

    /// <summary>
    /// The regex that only matches a whole string (builtins.match). Checking a search result's extent is not
    /// enough: for <c>a|ab</c> on "ab" the search stops at "a" although the whole string matches.
    /// </summary>
    public Regex GetWhole(string ere) => Lookup(_whole, ere, anchored: true);

    private static Regex Lookup(Dictionary<string, Regex> cache, string ere, bool anchored)
    {
        if (cache.TryGetValue(ere, out var regex)) return regex;
        var pattern = PosixRegex.Translate(ere);
        // \z, not $: .NET's $ also matches before a final newline.
        if (anchored) pattern = @"\A(?:" + pattern + @")\z";
        regex = new Regex(pattern, RegexOptions.CultureInvariant);
        cache.Add(ere, regex);
        return regex;
    }
}
