// Tests for the builtins.fromTOML parser: TOML 1.0 areas plus the quirks of Nix 2.8 (toml11).
// Expected values were checked against nix-instantiate 2.8.0, so they pin Nix's behaviour, not just the spec.
namespace Nixsharp.Language.Tests;

using System.Text;
using Nixsharp.Language.Builtins;
using Xunit;

public class TomlParserTests
{
    /// <summary>Nixsharp strings are byte strings: UTF-8 bytes, one per char.</summary>
    private static string B(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));

    private static TomlTable P(string document) => TomlParser.Parse(document);

    private static object Get(string document, string key = "a") => P(document)[key];

    private static TomlTable Table(object value) => Assert.IsType<TomlTable>(value);

    private static List<object> Array(object value) => Assert.IsAssignableFrom<List<object>>(value);

    private static TomlException Fails(string document) => Assert.Throws<TomlException>(() => TomlParser.Parse(document));

    // ------------------------------------------------------------------ documents and keys

    [Fact]
    public void EmptyAndCommentOnlyDocumentsGiveEmptyTables()
    {
        Assert.Equal(0, P("").Count);
        Assert.Equal(0, P("\n\n  # only a comment\n\t\n").Count);
    }

    [Fact]
    public void EntriesKeepInsertionOrder()
    {
        var t = P("z = 1\na = 2\nm = 3");
        Assert.Equal(new[] { "z", "a", "m" }, t.Entries.Select(e => e.Key));
    }

    [Fact]
    public void CommentsAfterValuesAndHeadersAreIgnored()
    {
        var t = P("a = 1 # one\n[b] # table\nc = 2 # two\n# trailing");
        Assert.Equal(1L, t["a"]);
        Assert.Equal(2L, Table(t["b"])["c"]);
    }

    [Fact]
    public void CrLfLineEndingsAndTabsAreWhitespace()
    {
        var t = P("a = 1\r\n\tb\t=\t2\t\r\n");
        Assert.Equal(1L, t["a"]);
        Assert.Equal(2L, t["b"]);
    }

    [Fact]
    public void ByteOrderMarkIsSkipped()
    {
        Assert.Equal(1L, Get("\u00EF\u00BB\u00BFa = 1"));
    }

    [Fact]
    public void QuotedKeysMayHoldAnything()
    {
        var t = P("\"a b\" = 1\n'a.b' = 2\n\"\" = 3\n\"\\u00e9\" = 4");
        Assert.Equal(1L, t["a b"]);
        Assert.Equal(2L, t["a.b"]);
        Assert.Equal(3L, t[""]);
        Assert.Equal(4L, t[B("é")]);
    }

    [Fact]
    public void BareKeysMayLookLikeOtherValues()
    {
        var t = P("true = 1\ninf = 2\n1234 = 3\n-1 = 4\na-b_C = 5");
        Assert.Equal(1L, t["true"]);
        Assert.Equal(2L, t["inf"]);
        Assert.Equal(3L, t["1234"]);
        Assert.Equal(4L, t["-1"]);
        Assert.Equal(5L, t["a-b_C"]);
    }

    [Fact]
    public void DottedKeysCreateNestedTables()
    {
        var t = P(" a . b  =  1\na.\"c.d\".e = 2\n3.14 = 3");
        var a = Table(t["a"]);
        Assert.Equal(1L, a["b"]);
        Assert.Equal(2L, Table(a["c.d"])["e"]);
        Assert.Equal(3L, Table(t["3"])["14"]);
    }

    [Fact]
    public void ManyKeysAreFoundAfterTheTableGrowsAnIndex()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 100; i++) sb.Append("k").Append(i).Append(" = ").Append(i).Append('\n');
        var t = P(sb.ToString());
        Assert.Equal(100, t.Count);
        Assert.Equal(57L, t["k57"]);
        Assert.False(t.TryGetValue("k100", out _));
        Assert.Equal("k0", t.Entries[0].Key);
    }

    [Theory]
    [InlineData("= 1")]
    [InlineData("a")]
    [InlineData("a =")]
    [InlineData("a =\n1")]
    [InlineData("a\n= 1")]
    [InlineData("a = 1 b = 2")]
    [InlineData("+1 = 1")]
    [InlineData("\"\"\"a\"\"\" = 1")]
    [InlineData("\"a\nb\" = 1")]
    [InlineData("a = 1\rb = 2")]
    [InlineData("a = = 1")]
    [InlineData("a = 1 # bad \u0001 comment")]
    public void MalformedKeyValueLinesAreRejected(string document)
    {
        Fails(document);
    }

    [Fact]
    public void NonAsciiBareKeysAreRejected()
    {
        Fails(B("é = 1"));
    }

    // ------------------------------------------------------------------ integers

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("+17", 17L)]
    [InlineData("-0", 0L)]
    [InlineData("1_000_000", 1000000L)]
    [InlineData("0xDEADBEEF", 3735928559L)]
    [InlineData("0xdead_beef", 3735928559L)]
    [InlineData("0o755", 493L)]
    [InlineData("0b1101", 13L)]
    [InlineData("0x0000000000000000000000001", 1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void IntegersParse(string literal, long expected)
    {
        Assert.Equal(expected, Assert.IsType<long>(Get("a = " + literal)));
    }

    [Theory]
    [InlineData("9223372036854775808", long.MaxValue)]
    [InlineData("99999999999999999999999", long.MaxValue)]
    [InlineData("-9223372036854775809", long.MinValue)]
    [InlineData("0x8000000000000000", long.MaxValue)]
    [InlineData("0xFFFFFFFFFFFFFFFF", long.MaxValue)]
    [InlineData("0o7777777777777777777777", long.MaxValue)]
    public void OutOfRangeDecimalHexAndOctalSaturateLikeNix(string literal, long expected)
    {
        Assert.Equal(expected, Get("a = " + literal));
    }

    [Fact]
    public void OutOfRangeBinaryWrapsLikeNix()
    {
        Assert.Equal(-1L, Get("a = 0b" + new string('1', 64)));
        Assert.Equal(long.MinValue, Get("a = 0b1" + new string('0', 63)));
        Assert.Equal(0L, Get("a = 0b1" + new string('0', 64)));
    }

    [Theory]
    [InlineData("012")]
    [InlineData("00")]
    [InlineData("0_1")]
    [InlineData("1__2")]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("0x_1")]
    [InlineData("0x1__2")]
    [InlineData("-0x1")]
    [InlineData("+0x1")]
    [InlineData("0X1")]
    [InlineData("0xG")]
    [InlineData("0b102")]
    [InlineData("0o8")]
    [InlineData("-")]
    public void MalformedIntegersAreRejected(string literal)
    {
        Fails("a = " + literal);
    }

    // ------------------------------------------------------------------ floats

    [Theory]
    [InlineData("3.14", 3.14)]
    [InlineData("+1.5", 1.5)]
    [InlineData("1.0", 1.0)]
    [InlineData("6.626e-34", 6.626e-34)]
    [InlineData("1E5", 1e5)]
    [InlineData("1e+05", 1e5)]
    [InlineData("1e-0_5", 1e-5)]
    [InlineData("1_2.3_4e1_0", 12.34e10)]
    [InlineData("0e0", 0.0)]
    [InlineData("4.9e-324", 4.94065645841247E-324)]
    public void FloatsParse(string literal, double expected)
    {
        Assert.Equal(expected, Assert.IsType<double>(Get("a = " + literal)));
    }

    [Fact]
    public void SignedZeroKeepsItsSign()
    {
        Assert.True(double.IsNegative((double)Get("a = -0.0")));
        Assert.False(double.IsNegative((double)Get("a = +0.0")));
        // Underflow gives a signed zero, as strtod does.
        Assert.True(double.IsNegative((double)Get("a = -1e-400")));
    }

    [Fact]
    public void OverflowingFloatsClampToTheLargestDouble()
    {
        Assert.Equal(double.MaxValue, Get("a = 1e400"));
        Assert.Equal(double.MinValue, Get("a = -1e400"));
    }

    [Fact]
    public void InfinitiesParse()
    {
        var t = P("a = inf\nb = +inf\nc = -inf");
        Assert.Equal(double.PositiveInfinity, t["a"]);
        Assert.Equal(double.PositiveInfinity, t["b"]);
        Assert.Equal(double.NegativeInfinity, t["c"]);
    }

    [Fact]
    public void NaNCarriesTheSignNixPrints()
    {
        // Nix prints nan / -nan from the sign bit; .NET's double.NaN has it set, so check bits.
        var t = P("a = nan\nb = +nan\nc = -nan");
        Assert.True(double.IsNaN((double)t["a"]) && !double.IsNegative((double)t["a"]));
        Assert.True(double.IsNaN((double)t["b"]) && !double.IsNegative((double)t["b"]));
        Assert.True(double.IsNaN((double)t["c"]) && double.IsNegative((double)t["c"]));
    }

    [Theory]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("1._5")]
    [InlineData("1_.5")]
    [InlineData("1.5_")]
    [InlineData("01.5")]
    [InlineData("1.e5")]
    [InlineData("1e5.5")]
    [InlineData("Inf")]
    [InlineData("infinity")]
    [InlineData("NaN")]
    public void MalformedFloatsAreRejected(string literal)
    {
        Fails("a = " + literal);
    }

    // ------------------------------------------------------------------ booleans

    [Fact]
    public void BooleansParse()
    {
        var t = P("a = true\nb = false");
        Assert.Equal(true, t["a"]);
        Assert.Equal(false, t["b"]);
    }

    [Theory]
    [InlineData("True")]
    [InlineData("truex")]
    [InlineData("fals")]
    public void MalformedBooleansAreRejected(string literal)
    {
        Fails("a = " + literal);
    }

    // ------------------------------------------------------------------ strings

    [Fact]
    public void BasicStringEscapes()
    {
        Assert.Equal("\b\t\n\f\r\"\\", Get("a = \"\\b\\t\\n\\f\\r\\\"\\\\\""));
        Assert.Equal("tab\there", Get("a = \"tab\there\""));
    }

    [Fact]
    public void UnicodeEscapesBecomeUtf8Bytes()
    {
        Assert.Equal("\u00C3\u00A9", Get("a = \"\\u00e9\""));
        Assert.Equal("\u00F0\u009F\u0098\u0080", Get("a = \"\\U0001F600\""));
        Assert.Equal(B("Aé€𝄞"), Get("a = \"\\u0041\\u00E9\\u20ac\\U0001d11e\""));
    }

    [Fact]
    public void RawUtf8BytesPassThroughUnchanged()
    {
        Assert.Equal(B("é😀"), Get(B("a = \"é😀\"")));
        Assert.Equal(B("é"), Get(B("a = 'é'")));
        Assert.Equal(1L, Get(B("a = 1 # comment with é")));
    }

    [Fact]
    public void NulEscapeIsKeptForTheConverterToTruncate()
    {
        Assert.Equal("x\0y", Get("a = \"x\\u0000y\""));
    }

    [Theory]
    [InlineData("\"\\e\"")]
    [InlineData("\"\\x41\"")]
    [InlineData("\"\\/\"")]
    [InlineData("\"\\ \"")]
    [InlineData("\"\\u00\"")]
    [InlineData("\"\\uZZZZ\"")]
    [InlineData("\"\\uD800\"")]
    [InlineData("\"\\U00110000\"")]
    [InlineData("\"x\\\ny\"")]
    public void InvalidEscapesAreRejected(string literal)
    {
        Fails("a = " + literal);
    }

    [Fact]
    public void LiteralStringsHaveNoEscapes()
    {
        Assert.Equal("C:\\\\path\\n", Get("a = 'C:\\\\path\\n'"));
    }

    [Fact]
    public void MultilineBasicStringTrimsTheFirstNewline()
    {
        Assert.Equal("roses\nare", Get("a = \"\"\"\nroses\nare\"\"\""));
        Assert.Equal("", Get("a = \"\"\"\n\"\"\""));
        Assert.Equal("x\r\ny", Get("a = \"\"\"\r\nx\r\ny\"\"\""));
    }

    [Fact]
    public void LineEndingBackslashEatsWhitespaceAndNewlines()
    {
        Assert.Equal("The quick brown", Get("a = \"\"\"\nThe quick \\\n\n   brown\"\"\""));
        Assert.Equal("x y", Get("a = \"\"\"x \\  \r\n  \r\n y\"\"\""));
        Assert.Equal("abc", Get("a = \"\"\"a\\\n\n\n  b\\\n  c\"\"\""));
    }

    [Fact]
    public void BackslashBeforeBlanksNotEndingTheLineIsRejected()
    {
        Fails("a = \"\"\"x \\ y\"\"\"");
    }

    [Fact]
    public void UpToTwoQuotesMayPrecedeTheClosingDelimiter()
    {
        Assert.Equal("a\"", Get("a = \"\"\"a\"\"\"\""));
        Assert.Equal("a\"\"", Get("a = \"\"\"a\"\"\"\"\""));
        Assert.Equal("a''", Get("a = '''a'''''"));
        Fails("a = \"\"\"a\"\"\"\"\"\"");
    }

    [Fact]
    public void MultilineLiteralStringsKeepBackslashes()
    {
        Assert.Equal("raw \\\\ \\n", Get("a = '''\nraw \\\\ \\n'''"));
        Assert.Equal("x''y", Get("a = '''\nx''y'''"));
    }

    [Theory]
    [InlineData("a = \"ctl\u0001\"")]
    [InlineData("a = \"del\u007f\"")]
    [InlineData("a = 'ctl\u0001'")]
    [InlineData("a = \"\"\"x\u0001\"\"\"")]
    [InlineData("a = \"x\ry\"")]
    [InlineData("a = \"x\ny\"")]
    [InlineData("a = 'x\ny'")]
    [InlineData("a = \"x")]
    [InlineData("a = '''x")]
    public void ControlCharactersAndUnterminatedStringsAreRejected(string document)
    {
        Fails(document);
    }

    [Theory]
    [InlineData("a = \"\u00ff\u00fe\"")]
    [InlineData("a = \"\u00c0\u0080\"")]
    [InlineData("a = \"\u00e0\u0080\u0080\"")]
    [InlineData("a = \"\u00ed\u00a0\u0080\"")]
    [InlineData("a = \"\u00f4\u0090\u0080\u0080\"")]
    [InlineData("a = '\u00ff'")]
    [InlineData("\"\u00ff\" = 1")]
    [InlineData("# \u00ff\na = 1")]
    [InlineData("a = 1 # \u00c3")]
    public void InvalidUtf8InStringsKeysAndCommentsIsRejected(string document)
    {
        Fails(document);
    }

    // ------------------------------------------------------------------ arrays and inline tables

    [Fact]
    public void ArraysMayMixTypesAndSpanLines()
    {
        var a = Array(Get("a = [\n  1, # one\n  \"a\",\n  2.0, [1], {x = 1},\n]"));
        Assert.Equal(5, a.Count);
        Assert.Equal(1L, a[0]);
        Assert.Equal("a", a[1]);
        Assert.Equal(2.0, a[2]);
        Assert.Equal(1L, Assert.Single(Array(a[3])));
        Assert.Equal(1L, Table(a[4])["x"]);
    }

    [Fact]
    public void EmptyAndNestedArrays()
    {
        Assert.Empty(Array(Get("a = []")));
        Assert.Empty(Array(Get("a = [ # c\n]")));
        var nested = Array(Get("a = [ [ 1, 2 ], [ \"a\", [ 3 ] ] ]"));
        Assert.Equal(3L, Array(Array(nested[1])[1])[0]);
    }

    [Theory]
    [InlineData("a = [1,2")]
    [InlineData("a = [1 2]")]
    [InlineData("a = [,]")]
    [InlineData("a = [1,,2]")]
    public void MalformedArraysAreRejected(string document)
    {
        Fails(document);
    }

    [Fact]
    public void InlineTablesMayUseDottedKeys()
    {
        var a = Table(Get("a = {x = 1, y.z = 2, y.w = \"s\"}"));
        Assert.Equal(1L, a["x"]);
        Assert.Equal(2L, Table(a["y"])["z"]);
        Assert.Equal("s", Table(a["y"])["w"]);
        Assert.Equal(0, Table(Get("a = { }")).Count);
    }

    [Theory]
    [InlineData("a = {b=1,}")]
    [InlineData("a = {b=1\n}")]
    [InlineData("a = {\nb=1}")]
    [InlineData("a = {b = 1 # c\n}")]
    [InlineData("a = {b=1, b=2}")]
    [InlineData("a = {b.c=1, b=2}")]
    [InlineData("a = {b=1, b.c=2}")]
    [InlineData("a = {b={c=1}, b.d=2}")]
    public void MalformedInlineTablesAreRejected(string document)
    {
        Fails(document);
    }

    [Fact]
    public void DeepNestingGivesAnErrorInsteadOfCrashing()
    {
        var ok = Array(Get("a = " + new string('[', 1000) + new string(']', 1000)));
        Assert.Single(ok);
        var e = Fails("a = " + new string('[', 1_000_000) + new string(']', 1_000_000));
        Assert.Contains("nested too deeply", e.Message);
    }

    // ------------------------------------------------------------------ tables

    [Fact]
    public void SuperTableMayBeDefinedAfterItsSubTable()
    {
        var a = Table(P("[a.b]\nc = 1\n[a]\nd = 2")["a"]);
        Assert.Equal(1L, Table(a["b"])["c"]);
        Assert.Equal(2L, a["d"]);
    }

    [Fact]
    public void HeadersMayQuoteAndSpaceTheirKeys()
    {
        var t = P("  [ a . \"b c\" ]\n  x = 1\n['d']\n");
        Assert.Equal(1L, Table(Table(t["a"])["b c"])["x"]);
        Assert.Equal(0, Table(t["d"]).Count);
    }

    [Fact]
    public void ArraysOfTablesCollectElements()
    {
        var t = P("[[p]]\nn = 1\n[[p]]\nn = 2\n[p2]");
        var p = Array(t["p"]);
        Assert.Equal(2, p.Count);
        Assert.Equal(2L, Table(p[1])["n"]);
        Assert.Equal(0, Table(t["p2"]).Count);
    }

    [Fact]
    public void SubTablesAndNestedArraysOfTablesAttachToTheLastElement()
    {
        var f = Array(P("[[f]]\nname = \"x\"\n[f.phys]\nc = 1\n[[f.v]]\nn = 2\n[[f.v]]\nn = 3\n[[f]]\nname = \"y\"")["f"]);
        var first = Table(f[0]);
        Assert.Equal("x", first["name"]);
        Assert.Equal(1L, Table(first["phys"])["c"]);
        Assert.Equal(3L, Table(Array(first["v"])[1])["n"]);
        Assert.Equal(new[] { "name" }, Table(f[1]).Entries.Select(e => e.Key));
    }

    [Fact]
    public void DottedKeysInsideASectionBuildOnEachOther()
    {
        var fruit = Table(P("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true")["fruit"]);
        var apple = Table(fruit["apple"]);
        Assert.Equal("red", apple["color"]);
        Assert.Equal(true, Table(apple["taste"])["sweet"]);
        Assert.Equal(true, Table(apple["texture"])["smooth"]);
    }

    [Fact]
    public void HeaderMayDefineATableFirstMadeByDottedKeys()
    {
        // Invalid per TOML 1.0, but Nix 2.8 (toml11) accepts it, once.
        var a = Table(P("a.b = 1\n[a]\nc = 2")["a"]);
        Assert.Equal(1L, a["b"]);
        Assert.Equal(2L, a["c"]);
        Assert.Equal(1L, Table(Table(P("[a]\nb.c = 1\n[a.b]\nd = 2")["a"])["b"])["c"]);
        Fails("a.b = 1\n[a]\nc = 1\n[a]");
    }

    [Fact]
    public void HeaderAndDottedKeysReachThroughTheLastElementOfAStaticArray()
    {
        // Also toml11 leniencies that Nix 2.8 accepts.
        var a = Array(P("a = [{x = 1}, {y = 2}]\n[a.b]\nz = 3")["a"]);
        Assert.Equal(3L, Table(Table(a[1])["b"])["z"]);
        var t = Array(Table(P("[t]\na = [{x = 1}]\na.y = 1")["t"])["a"]);
        Assert.Equal(1L, Table(t[0])["y"]);
    }

    [Fact]
    public void HeaderThroughAnEmptyArrayIsAnError()
    {
        // Nix 2.8 crashes (SIGSEGV) here; an error is the only sane answer.
        Fails("a = []\n[a.c]");
    }

    [Theory]
    [InlineData("a = 1\na = 2")]
    [InlineData("a = 1\n\"a\" = 2")]
    [InlineData("a.b = 1\n\"a\".'b' = 2")]
    [InlineData("[t]\nx = 1\n[t]\ny = 2")]
    [InlineData("[a.b]\nc = 1\n[a]\nd = 2\n[a]\ne = 3")]
    [InlineData("[a.\"b\"]\n[a.b]")]
    [InlineData("a = {x = 1}\n[a]")]
    [InlineData("a = {x = 1}\na.y = 2")]
    [InlineData("a = {x = 1}\n[a.b]")]
    [InlineData("[a]\nb = {c = 1}\n[a.b.d]")]
    [InlineData("[a]\nx = 1\n[[a]]")]
    [InlineData("a = [1]\n[[a]]")]
    [InlineData("a = [{b = 1}]\n[[a]]")]
    [InlineData("[[a]]\nx = 1\n[a]")]
    [InlineData("[[a]]\n[a.b]\n[[a.b]]")]
    [InlineData("a = 1\na.b = 2")]
    [InlineData("a.b = 1\na.b.c = 2")]
    [InlineData("a.b = 1\na = 2")]
    [InlineData("x = 1\n[x.y]")]
    [InlineData("a = [1]\n[a.c]")]
    public void RedefinitionsAreRejected(string document)
    {
        Fails(document);
    }

    [Theory]
    [InlineData("[a.b]\nx = 1\n[a]\nb.y = 2")]
    [InlineData("[a.b.c]\nz = 9\n[a]\nb.d = 1")]
    [InlineData("[a]\nb.c.d = 1\n[a.b]\nc.e = 1")]
    [InlineData("[[a.b]]\nx = 1\n[a]")]
    [InlineData("[[a.b.c]]\n[a.b]")]
    [InlineData("[a.c]\nc.b = [{p.r = 2}]\n[a.c.c]\nb.c.a = []")]
    public void DottedKeysAndHeadersCannotReopenTablesFromEarlierSections(string document)
    {
        Fails(document);
    }

    [Fact]
    public void SiblingTablesMayBeAddedToAnImplicitTable()
    {
        var a = Table(P("[a.b]\nx = 1\n[a]\nc.y = 2\n[[a.d]]")["a"]);
        Assert.Equal(new[] { "b", "c", "d" }, a.Entries.Select(e => e.Key));
    }

    [Theory]
    [InlineData("[a]]")]
    [InlineData("[]")]
    [InlineData("[[a] ]")]
    [InlineData("[ [a]]")]
    [InlineData("[a] b = 1")]
    [InlineData("[a")]
    public void MalformedHeadersAreRejected(string document)
    {
        Fails(document);
    }

    // ------------------------------------------------------------------ dates and times

    [Theory]
    [InlineData("1979-05-27T07:32:00Z", TomlDateTimeKind.OffsetDateTime)]
    [InlineData("1979-05-27t07:32:00z", TomlDateTimeKind.OffsetDateTime)]
    [InlineData("1979-05-27T00:32:00.999999-07:00", TomlDateTimeKind.OffsetDateTime)]
    [InlineData("1979-05-27 07:32:00Z", TomlDateTimeKind.OffsetDateTime)]
    [InlineData("1979-05-27T07:32:00", TomlDateTimeKind.LocalDateTime)]
    [InlineData("1979-05-27", TomlDateTimeKind.LocalDate)]
    [InlineData("2000-02-29", TomlDateTimeKind.LocalDate)]
    [InlineData("0000-02-29", TomlDateTimeKind.LocalDate)]
    [InlineData("07:32:00", TomlDateTimeKind.LocalTime)]
    [InlineData("07:32:60", TomlDateTimeKind.LocalTime)]
    [InlineData("23:59:59.123456789123", TomlDateTimeKind.LocalTime)]
    public void DatesAndTimesKeepTheirText(string literal, TomlDateTimeKind kind)
    {
        var value = Assert.IsType<TomlDateTime>(Get("a = " + literal + " # comment"));
        Assert.Equal(literal, value.Text);
        Assert.Equal(kind, value.Kind);
    }

    [Fact]
    public void DatesMayAppearInArrays()
    {
        var a = Array(Get("a = [1979-05-27, 1]"));
        Assert.IsType<TomlDateTime>(a[0]);
    }

    [Theory]
    [InlineData("1979-02-29")]
    [InlineData("1900-02-29")]
    [InlineData("1979-04-31")]
    [InlineData("1979-13-27")]
    [InlineData("1979-00-10")]
    [InlineData("1979-01-00")]
    [InlineData("1979-5-27")]
    [InlineData("12345-01-01")]
    [InlineData("1979-05-27T25:00:00")]
    [InlineData("07:60:00")]
    [InlineData("07:32:61")]
    [InlineData("24:00:00")]
    [InlineData("07:32")]
    [InlineData("1979-05-27T07:32")]
    [InlineData("1979-05-27T")]
    [InlineData("1979-05-27 07")]
    [InlineData("1979-05-27  07:32:00")]
    [InlineData("1979-05-27T07:32:00+25:00")]
    [InlineData("1979-05-27T07:32:00+05")]
    [InlineData("07:32:00Z")]
    [InlineData("1979-05-27Z")]
    [InlineData("1979-05-27T07:32:00.Z")]
    public void InvalidDatesAndTimesAreRejected(string literal)
    {
        Fails("a = " + literal);
    }

    // ------------------------------------------------------------------ error reports

    [Fact]
    public void ErrorsAreLaidOutLikeToml11()
    {
        var e = Fails("a = 1\na = 2");
        Assert.Equal(2, e.Line);
        Assert.Equal(5, e.Column);
        Assert.Equal(
            "[error] toml::insert_value: value (\"a\") already exists.\n" +
            " --> fromTOML\n" +
            "   |\n" +
            " 1 | a = 1\n" +
            "   |     ^--- value already exists here\n" +
            " ...\n" +
            " 2 | a = 2\n" +
            "   |     ^--- value defined twice",
            e.Message);
    }

    // Clashes name the earlier definition too, underlining what toml11 attaches to it: the value
    // of a key/value pair, the whole [header], or the key or header that implied a table.
    // Expected texts are nix-instantiate 2.8.0's output for builtins.fromTOML (its 7-space
    // continuation indent removed; Nix also drops carriage returns when printing).
    [Theory]
    [InlineData("a = {x = 1, x = 2}",
        "[error] toml::insert_value: value (\"x\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = {x = 1, x = 2}\n" +
        "   |          ^--- value already exists here\n" +
        " ...\n" +
        " 1 | a = {x = 1, x = 2}\n" +
        "   |                 ^--- value defined twice")]
    [InlineData("a = \"hello\"\na = 1",
        "[error] toml::insert_value: value (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = \"hello\"\n" +
        "   |     ~~~~~~~ value already exists here\n" +
        " ...\n" +
        " 2 | a = 1\n" +
        "   |     ^--- value defined twice")]
    [InlineData("a = [\n1,\n2\n]\na = 3",
        "[error] toml::insert_value: value (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = [\n" +
        "   |     ~~~~~ value already exists here\n" +
        " ...\n" +
        " 5 | a = 3\n" +
        "   |     ^--- value defined twice")]
    [InlineData("a.b.c = 1\na.b = 2",
        "[error] toml::insert_value: value (\"a.b\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a.b.c = 1\n" +
        "   | ~~~~~ value already exists here\n" +
        " ...\n" +
        " 2 | a.b = 2\n" +
        "   |       ^--- value defined twice")]
    [InlineData("[a]\nx = 1\n[a]\ny = 2\n",
        "[error] toml::insert_value: table (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | [a]\n" +
        "   | ~~~ table already exists here\n" +
        " ...\n" +
        " 3 | [a]\n" +
        "   | ~~~ table defined twice")]
    [InlineData("[ a . b ]\n[ a . b ]",
        "[error] toml::insert_value: table (\"a.b\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | [ a . b ]\n" +
        "   | ~~~~~~~~~ table already exists here\n" +
        " ...\n" +
        " 2 | [ a . b ]\n" +
        "   | ~~~~~~~~~ table defined twice")]
    [InlineData("[a.\"b\"]\n[a.b]",
        "[error] toml::insert_value: table (\"a.b\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | [a.\"b\"]\n" +
        "   | ~~~~~~~ table already exists here\n" +
        " ...\n" +
        " 2 | [a.b]\n" +
        "   | ~~~~~ table defined twice")]
    [InlineData("[a.b]\n[a]\n[a]",
        "[error] toml::insert_value: table (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 2 | [a]\n" +
        "   | ~~~ table already exists here\n" +
        " ...\n" +
        " 3 | [a]\n" +
        "   | ~~~ table defined twice")]
    [InlineData("a.b = 1\n[a]\nc = 1\n[a]",
        "[error] toml::insert_value: table (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 2 | [a]\n" +
        "   | ~~~ table already exists here\n" +
        " ...\n" +
        " 4 | [a]\n" +
        "   | ~~~ table defined twice")]
    [InlineData("[[a.b]]\nx = 1\n[a]",
        "[error] toml::insert_value: table (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | [[a.b]]\n" +
        "   | ~~~~~~~ table already exists here\n" +
        " ...\n" +
        " 3 | [a]\n" +
        "   | ~~~ table defined twice")]
    [InlineData("a = {x = 1}\n[a]",
        "[error] toml::insert_value: table (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = {x = 1}\n" +
        "   |     ~~~~~~~ table already exists here\n" +
        " ...\n" +
        " 2 | [a]\n" +
        "   | ~~~ table defined twice")]
    [InlineData("a.b = 1\na = {c = 1}",
        "[error] toml::insert_value: table (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a.b = 1\n" +
        "   | ~~~ table already exists here\n" +
        " ...\n" +
        " 2 | a = {c = 1}\n" +
        "   |     ~~~~~~~ table defined twice")]
    [InlineData("[a.b]\nc = 1\n[a]\nb = 2",
        "[error] toml::insert_value: value (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | [a.b]\n" +
        "   | ~~~~~ already exists here\n" +
        " ...\n" +
        " 3 | [a]\n" +
        "   | ~~~ this defined twice")]
    [InlineData("[a.b]\n[a.c]\n[a]\nb = 1\nc = 2",
        "[error] toml::insert_value: value (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 2 | [a.c]\n" +
        "   | ~~~~~ already exists here\n" +
        " ...\n" +
        " 3 | [a]\n" +
        "   | ~~~ this defined twice")]
    [InlineData("[a]\nb.c.d = 1\n[a.b]\nc.e = 1",
        "[error] toml::insert_value: value (\"a.b\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 2 | b.c.d = 1\n" +
        "   | ~~~~~ already exists here\n" +
        " ...\n" +
        " 3 | [a.b]\n" +
        "   | ~~~~~ this defined twice")]
    [InlineData("[a]\nx = 1\n[[a]]",
        "[error] toml::insert_value: array of table (\"a\") cannot be defined\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | [a]\n" +
        "   | ~~~ table already defined\n" +
        " ...\n" +
        " 3 | [[a]]\n" +
        "   | ~~~~~ this conflicts with the previous table")]
    [InlineData("[a]\nb = 1\n[[a.b]]",
        "[error] toml::insert_value: array of table (\"a.b\") collides with existing value\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 2 | b = 1\n" +
        "   |     ^--- this integer value already exists\n" +
        " ...\n" +
        " 3 | [[a.b]]\n" +
        "   | ~~~~~~~ while inserting this array-of-tables")]
    [InlineData("a = []\n[[a]]",
        "[error] toml::insert_value: array of table (\"a\") collides with existing value\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = []\n" +
        "   |     ~~ this array value already exists\n" +
        " ...\n" +
        " 2 | [[a]]\n" +
        "   | ~~~~~ while inserting this array-of-tables")]
    [InlineData("a = [{b = 1}]\n[[a]]",
        "[error] toml::insert_value: array of table (\"a\") collides with existing array-of-tables\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = [{b = 1}]\n" +
        "   |     ~~~~~~~~~ this array value has static size\n" +
        " ...\n" +
        " 2 | [[a]]\n" +
        "   | ~~~~~ appending it to the statically sized array")]
    [InlineData("[[a]]\nx = 1\n[a]",
        "[error] toml::insert_value: array of tables (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | [[a]]\n" +
        "   | ~~~~~ array of tables defined here\n" +
        " ...\n" +
        " 3 | [a]\n" +
        "   | ~~~ table conflicts with the previous array of table")]
    [InlineData("a = [{}]\n[a]",
        "[error] toml::insert_value: array of tables (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = [{}]\n" +
        "   |     ~~~~ array of tables defined here\n" +
        " ...\n" +
        " 2 | [a]\n" +
        "   | ~~~ table conflicts with the previous array of table")]
    [InlineData("a = {x = 1}\na.y = 2",
        "[error] toml::insert_value: inserting to an inline table (a) but inline tables are immutable\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = {x = 1}\n" +
        "   |     ~~~~~~~ inline tables are immutable\n" +
        " ...\n" +
        " 2 | a.y = 2\n" +
        "   |       ^--- inserting this")]
    [InlineData("[a]\nb = {c = 1}\n[a.b.d]",
        "[error] toml::insert_value: inserting to an inline table (a.b) but inline tables are immutable\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 2 | b = {c = 1}\n" +
        "   |     ~~~~~~~ inline tables are immutable\n" +
        " ...\n" +
        " 3 | [a.b.d]\n" +
        "   | ~~~~~~~ inserting this")]
    [InlineData("x = 1\n[x.y]",
        "[error] toml::insert_value: target (x) is neither table nor an array of tables\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | x = 1\n" +
        "   |     ^--- actual type is integer\n" +
        " ...\n" +
        " 2 | [x.y]\n" +
        "   | ~~~~~ inserting this")]
    [InlineData("a = [1, 2.5]\n[a.b]",
        "[error] toml::insert_value: target (a) is neither table nor an array of tables\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = [1, 2.5]\n" +
        "   |         ~~~ actual type is floating\n" +
        " ...\n" +
        " 2 | [a.b]\n" +
        "   | ~~~~~ inserting this")]
    [InlineData("a = 1979-05-27\na.b = 1",
        "[error] toml::insert_value: target (a) is neither table nor an array of tables\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = 1979-05-27\n" +
        "   |     ~~~~~~~~~~ actual type is local_date\n" +
        " ...\n" +
        " 2 | a.b = 1\n" +
        "   |       ^--- inserting this")]
    [InlineData("\n\n\n\n\n\n\n\na = 1\na = 2",
        "[error] toml::insert_value: value (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "    |\n" +
        "  9 | a = 1\n" +
        "    |     ^--- value already exists here\n" +
        " ...\n" +
        " 10 | a = 2\n" +
        "    |     ^--- value defined twice")]
    [InlineData("a = [\r\n1\r\n]\r\na = 2",
        "[error] toml::insert_value: value (\"a\") already exists.\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 1 | a = [\n" +
        "   |     ~~~~~~ value already exists here\n" +
        " ...\n" +
        " 4 | a = 2\n" +
        "   |     ^--- value defined twice")]
    [InlineData("[a]\n[a]\nx = = 1",
        "[error] bad format: unknown value appeared\n" +
        " --> fromTOML\n" +
        "   |\n" +
        " 3 | x = = 1\n" +
        "   |     ^--- here")]
    public void ClashesAreReportedAtBothDefinitions(string document, string expected)
    {
        Assert.Equal(expected, Fails(document).Message);
    }

    [Fact]
    public void ClashReportsGiveTheLineAndColumnOfTheSecondDefinition()
    {
        var e = Fails("[a]\nx = 1\n\n  [a]");
        Assert.Equal("toml::insert_value: table (\"a\") already exists.", e.Reason);
        Assert.Equal(4, e.Line);
        Assert.Equal(3, e.Column);
    }

    [Fact]
    public void AHeaderMayFillInAnImpliedTableOnlyOnce()
    {
        // The table's location moves to the header that defined it, so the next clash names that header.
        var e = Fails("[a.b]\n[a]\n[a]");
        Assert.Contains(" 2 | [a]\n   | ~~~ table already exists here\n", e.Message);
        var a = Table(P("[a]\nb.c = 1\n[a.b]\nd = 2")["a"]);
        Assert.Equal(new[] { "c", "d" }, Table(a["b"]).Entries.Select(x => x.Key));
    }

    [Fact]
    public void ErrorGutterWidensWithTheLineNumber()
    {
        var e = Fails("a = 1" + new string('\n', 12) + "b = = 2\n");
        Assert.Equal(13, e.Line);
        Assert.Equal("bad format: unknown value appeared", e.Reason);
        Assert.Contains("\n    |\n 13 | b = = 2\n    |     ^--- here", e.Message);
    }

    [Fact]
    public void ErrorReportsTheOffendingCharacter()
    {
        var e = Fails("a = 1 b = 2");
        Assert.Equal(1, e.Line);
        Assert.Equal(7, e.Column);
        Assert.EndsWith("^--- expected newline, but got 'b'.", e.Message);
    }

    [Fact]
    public void SyntaxErrorsAreFoundEvenAfterADate()
    {
        // Nix parses everything before complaining about dates, so a syntax error wins.
        Fails("a = 1979-05-27\nb = = 1");
    }
}
