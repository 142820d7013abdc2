// Tests of the POSIX ERE to .NET translation behind builtins.match and builtins.split.
// Every expected value was produced by Nix 2.8 (nix-instantiate), the reference for libstdc++'s quirks.
namespace Nixsharp.Language.Tests;

using System.Text;
using System.Text.RegularExpressions;
using Nixsharp.Language.Builtins;
using Xunit;

public class PosixRegexTests
{
    // Renders results like Nix prints them, in one compact line: null, [...] and 'strings'.
    private static string Render(Match m)
    {
        var sb = new StringBuilder("[");
        for (var i = 1; i < m.Groups.Count; i++)
        {
            if (i > 1) sb.Append(',');
            sb.Append(m.Groups[i].Success ? Quote(m.Groups[i].Value) : "null");
        }
        return sb.Append(']').ToString();
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>builtins.match: the whole string must match; \z because .NET's $ accepts a final newline.</summary>
    private static string NixMatch(string ere, string input)
    {
        var m = new Regex(@"\A(?:" + PosixRegex.Translate(ere) + @")\z", RegexOptions.CultureInvariant).Match(input);
        return m.Success ? Render(m) : "null";
    }

    /// <summary>builtins.split: text between matches alternating with each match's groups.</summary>
    private static string NixSplit(string ere, string input)
    {
        var regex = new Regex(PosixRegex.Translate(ere), RegexOptions.CultureInvariant);
        var parts = new List<string>();
        var prev = 0;
        foreach (Match m in regex.Matches(input))
        {
            parts.Add(Quote(input[prev..m.Index]));
            parts.Add(Render(m));
            prev = m.Index + m.Length;
        }
        parts.Add(Quote(input[prev..]));
        return "[" + string.Join(",", parts) + "]";
    }

    [Theory]
    [InlineData("a(b)?", "a", "[null]")]
    [InlineData("a(b)?", "ab", "['b']")]
    [InlineData("(a)|b", "b", "[null]")]
    [InlineData("abc", "abc", "[]")]
    [InlineData("abc", "abcd", "null")]
    [InlineData("abc", "xabc", "null")]
    [InlineData(".", "\n", "[]")]
    [InlineData("..", "\u00C3\u00A9", "[]")]
    [InlineData(".", "\u00E9", "[]")]
    [InlineData("a.c", "a.c", "[]")]
    [InlineData("a*", "", "[]")]
    [InlineData("a+", "", "null")]
    [InlineData("a+", "aaa", "[]")]
    [InlineData("a?b", "b", "[]")]
    [InlineData("a{2}", "aa", "[]")]
    [InlineData("a{2}", "aaa", "null")]
    [InlineData("a{2,}", "aaaa", "[]")]
    [InlineData("a{1,3}", "aaaa", "null")]
    [InlineData("a{0}", "", "[]")]
    [InlineData("a{01}", "a", "[]")]
    [InlineData("a**", "aa", "[]")]
    [InlineData("(a*?)(a*)", "aa", "['aa','']")]
    [InlineData("(a+?)(a*)", "aa", "['aa','']")]
    [InlineData("(a??)(a*)", "a", "['a','']")]
    [InlineData("a{1}{2}", "aa", "[]")]
    [InlineData("(a{2}){2}", "aaaa", "['aa']")]
    [InlineData("a{4294967297}", "a", "[]")]
    [InlineData("a{2147483648}", "", "[]")]
    [InlineData("(a|ab)(c|bcd)(d*)", "abcd", "['a','bcd','']")]
    [InlineData("(a|ab)(bc|c)", "abc", "['a','bc']")]
    [InlineData("x(a|ab|abc)(c*)", "xabcc", "['ab','cc']")]
    [InlineData("(a*)(ab)?b?", "aab", "['aa',null]")]
    [InlineData("((a)|b)*", "ab", "['b','a']")]
    [InlineData("((a)|(b))*", "ab", "['b','a','b']")]
    [InlineData("(a|b)*", "ab", "['b']")]
    [InlineData("(a)*", "", "[null]")]
    [InlineData("(a*)*", "aa", "['']")]
    [InlineData("(a*)+", "", "['']")]
    [InlineData("(.*)(.*)", "ab", "['ab','']")]
    [InlineData("(a|b)*(b)", "abb", "['b','b']")]
    [InlineData("()", "", "['']")]
    [InlineData("(|a)", "a", "['a']")]
    [InlineData("(|a)", "", "['']")]
    [InlineData("a||b", "", "[]")]
    [InlineData("|a", "", "[]")]
    [InlineData("(x)?(y)?", "y", "[null,'y']")]
    [InlineData("((a)|b){0}", "", "[null,null]")]
    [InlineData("^a$", "a", "[]")]
    [InlineData("a^b", "ab", "null")]
    [InlineData("a$b", "ab", "null")]
    [InlineData("x*^a", "a", "[]")]
    [InlineData("^^a$$", "a", "[]")]
    [InlineData("a$", "a\n", "null")]
    [InlineData("(^a)", "a", "['a']")]
    [InlineData(@"\.", ".", "[]")]
    [InlineData(@"\.", "a", "null")]
    [InlineData(@"\\", @"\", "[]")]
    [InlineData(@"\(\)", "()", "[]")]
    [InlineData(@"\{", "{", "[]")]
    [InlineData(@"\*\+\?", "*+?", "[]")]
    [InlineData(@"\|", "|", "[]")]
    [InlineData(@"\^\$", "^$", "[]")]
    [InlineData(@"\[", "[", "[]")]
    [InlineData("]", "]", "[]")]
    [InlineData("}", "}", "[]")]
    [InlineData("a]}", "a]}", "[]")]
    [InlineData("#", "#", "[]")]
    [InlineData(" a", " a", "[]")]
    [InlineData("\u00C3\u00A9", "\u00C3\u00A9", "[]")]
    [InlineData("\u00C3\u00A9?", "\u00C3", "[]")]
    [InlineData("-", "-", "[]")]
    [InlineData(@"\$\{", "${", "[]")]
    [InlineData("[abc]+", "cab", "[]")]
    [InlineData("[a-c]+", "abc", "[]")]
    [InlineData("[a-c]", "d", "null")]
    [InlineData("[^a]", "b", "[]")]
    [InlineData("[^a]", "a", "null")]
    [InlineData("[^a]", "\n", "[]")]
    [InlineData("[^a]", "\u00FF", "[]")]
    [InlineData("[]a]", "]", "[]")]
    [InlineData("[]a]", "a", "[]")]
    [InlineData("[^]a]", "]", "null")]
    [InlineData("[^]a]", "b", "[]")]
    [InlineData("[]-a]", "^", "[]")]
    [InlineData("[a-]", "-", "[]")]
    [InlineData("[-a]", "-", "[]")]
    [InlineData("[^-a]", "-", "null")]
    [InlineData("[!--]", ",", "[]")]
    [InlineData("[--/]", ".", "[]")]
    [InlineData("[---]", "-", "[]")]
    [InlineData("[a-c-]", "-", "[]")]
    [InlineData(@"[\.]", @"\", "[]")]
    [InlineData(@"[\.]", ".", "[]")]
    [InlineData(@"[\\]", @"\", "[]")]
    [InlineData(@"[\]", @"\", "[]")]
    [InlineData(@"[\]]", @"\]", "[]")]
    [InlineData(@"[\n]", "n", "[]")]
    [InlineData(@"[\n]", "\n", "null")]
    [InlineData(@"[\d]", "1", "null")]
    [InlineData("[[]", "[", "[]")]
    [InlineData("[[]]", "[]", "[]")]
    [InlineData("[a^]", "^", "[]")]
    [InlineData("[$|*+?(){}.]+", "$|*+?(){}.", "[]")]
    [InlineData("[[:alpha:]]+", "aZ", "[]")]
    [InlineData("[[:alpha:]]", "1", "null")]
    [InlineData("[[:alpha:]]", "\u00E9", "null")]
    [InlineData("[[:digit:]]+", "0129", "[]")]
    [InlineData("[[:space:]]+", " \t\n\r\u000B\u000C", "[]")]
    [InlineData("[[:upper:]]", "a", "null")]
    [InlineData("[[:lower:]]", "a", "[]")]
    [InlineData("[[:alnum:]_]+", "a_1", "[]")]
    [InlineData("[[:punct:]]+", "!/:@[`{~", "[]")]
    [InlineData("[[:xdigit:]]+", "09afAF", "[]")]
    [InlineData("[[:xdigit:]]", "g", "null")]
    [InlineData("[[:blank:]]+", " \t", "[]")]
    [InlineData("[[:blank:]]", "\n", "null")]
    [InlineData("[[:cntrl:]]", "\u0001", "[]")]
    [InlineData("[[:cntrl:]]", " ", "null")]
    [InlineData("[[:print:]]", " ", "[]")]
    [InlineData("[[:graph:]]", " ", "null")]
    [InlineData("[[:w:]]+", "a_1", "[]")]
    [InlineData("[[:d:]]", "5", "[]")]
    [InlineData("[[:s:]]", " ", "[]")]
    [InlineData("[[:ALPHA:]]", "q", "[]")]
    [InlineData("[[:alpha:][:digit:]]+", "a1", "[]")]
    [InlineData("[[=a=]]", "A", "[]")]
    [InlineData("[[=a=]]", "b", "null")]
    [InlineData("[[=hyphen=]]", "-", "[]")]
    [InlineData("[[.space.]]", " ", "[]")]
    [InlineData("[[.hyphen.]]", "-", "[]")]
    [InlineData("[[.a.]-c]", "b", "[]")]
    [InlineData("[[.left-square-bracket.]]", "[", "[]")]
    [InlineData("[[.right-square-bracket.]]", "]", "[]")]
    [InlineData("[\u00E9-a]", "\u00F0", "[]")]
    [InlineData("[\u00E9-a]", "b", "null")]
    [InlineData("[\u00E9-a]", "c", "null")]
    [InlineData("[\u0080-\u00FF]+", "\u00C3\u00A9", "[]")]
    [InlineData("[\u00C3\u00A9]", "\u00C3", "[]")]
    [InlineData("([[:upper:]][[:lower:]]*)+", "HelloWorld", "['World']")]
    [InlineData(@"([0-9]+)\.([0-9]+)", "10.25", "['10','25']")]
    public void MatchAgreesWithNix(string ere, string input, string expected) =>
        Assert.Equal(expected, NixMatch(ere, input));

    [Theory]
    [InlineData("(a)|b", "xaybz", "['x',['a'],'y',[null],'z']")]
    [InlineData("a*", "xaax", "['',[],'x',[],'',[],'x',[],'']")]
    [InlineData(",", "a,b,,c", "['a',[],'b',[],'',[],'c']")]
    [InlineData("(,)", "a,b", "['a',[','],'b']")]
    [InlineData("[[:space:]]+", " a  b ", "['',[],'a',[],'b',[],'']")]
    [InlineData("^a", "aaa", "['',[],'aa']")]
    [InlineData("a$", "aaa", "['aa',[],'']")]
    [InlineData("a$", "a\na", "['a\n',[],'']")]
    [InlineData(@"\.", "a.b", "['a',[],'b']")]
    [InlineData("x", "abc", "['abc']")]
    [InlineData("(a)(b)?", "aab", "['',['a',null],'',['a','b'],'']")]
    [InlineData("a*?", "aa", "['',[],'',[],'']")]
    [InlineData("(a|b)*?", "ab", "['',['b'],'',[null],'']")]
    [InlineData("x*", "", "['',[],'']")]
    [InlineData("$", "ab", "['ab',[],'']")]
    [InlineData("(a*)b?", "xaab", "['',[''],'x',['aa'],'',[''],'']")]
    [InlineData("(a|ab)(c|bcd)(d*)", "xabcdx", "['x',['a','bcd',''],'x']")]
    [InlineData("(ab|a)(b*)", "abb", "['',['ab','b'],'']")]
    public void SplitAgreesWithNix(string ere, string input, string expected) =>
        Assert.Equal(expected, NixSplit(ere, input));

    [Theory]
    [InlineData("(")]
    [InlineData(")")]
    [InlineData("a)")]
    [InlineData("(a")]
    [InlineData("((a)")]
    [InlineData("[a")]
    [InlineData("[^")]
    [InlineData("[]")]
    [InlineData("[^]")]
    [InlineData("*a")]
    [InlineData("+a")]
    [InlineData("?a")]
    [InlineData("{1}a")]
    [InlineData("{")]
    [InlineData("a|*b")]
    [InlineData("(*a)")]
    [InlineData("(+)")]
    [InlineData("^*")]
    [InlineData("$+")]
    [InlineData("a^?")]
    [InlineData("a{")]
    [InlineData("a{1")]
    [InlineData("${")]
    [InlineData("a{x}")]
    [InlineData("a{,2}")]
    [InlineData("a{2,1}")]
    [InlineData("a{1,2,3}")]
    [InlineData("a{}")]
    [InlineData("a{ 1}")]
    [InlineData("a{1 }")]
    [InlineData("a{1,2147483648}")]
    [InlineData(@"\d")]
    [InlineData(@"\w")]
    [InlineData(@"\s")]
    [InlineData(@"\b")]
    [InlineData(@"\n")]
    [InlineData(@"\t")]
    [InlineData(@"\1")]
    [InlineData(@"(a)\1")]
    [InlineData(@"\]")]
    [InlineData(@"\}")]
    [InlineData(@"\-")]
    [InlineData(@"\/")]
    [InlineData(@"a\")]
    [InlineData("\\\u00E9")]
    [InlineData("[a-c-e]")]
    [InlineData("[a--]")]
    [InlineData("[z-a]")]
    [InlineData("[a-a-b]")]
    [InlineData(@"[a-\]")]
    [InlineData("[[:foo:]]")]
    [InlineData("[[:alpha:]-z]")]
    [InlineData("[a-[:alpha:]]")]
    [InlineData("[[.-.]]")]
    [InlineData("[[.ab.]]")]
    [InlineData("[[.SPACE.]]")]
    [InlineData("[[=1=]]")]
    [InlineData("[[=\u00E9=]]")]
    [InlineData("[[:alpha:]")]
    [InlineData("[[:alpha]")]
    [InlineData("[[.a.]")]
    [InlineData("[[:]")]
    [InlineData("[[::]]")]
    [InlineData("[[..]]")]
    [InlineData("[[==]]")]
    [InlineData("[a-[.c.]]")]
    [InlineData("[[=a=]-c]")]
    [InlineData("[[.a.]-[.c.]]")]
    [InlineData("[a-\u00E9]")]
    [InlineData("[\u007F-\u0080]")]
    public void RejectsWhatNixRejects(string ere)
    {
        var e = Assert.Throws<RegexSyntaxException>(() => PosixRegex.Translate(ere));
        Assert.Equal($"invalid regular expression '{ere}'", e.Message);
    }

    [Theory]
    [InlineData("a**")]
    [InlineData("a*?")]
    [InlineData("a?*")]
    [InlineData("a+?")]
    [InlineData("()")]
    [InlineData("|")]
    [InlineData("a||b")]
    [InlineData("(|a)")]
    [InlineData("[]a]")]
    [InlineData("[a-]")]
    [InlineData("[---]")]
    [InlineData("[[.NUL.]]")]
    [InlineData("}")]
    [InlineData("]")]
    [InlineData("a{0}")]
    [InlineData(@"\{")]
    [InlineData("a{0,0}")]
    [InlineData("a{4294967297}")]
    [InlineData(@"[\]")]
    [InlineData("[[:alpha:]-]")]
    [InlineData("[[=a=][=b=]]")]
    [InlineData("^$")]
    [InlineData("a^")]
    [InlineData("$a")]
    [InlineData("(^)")]
    [InlineData("[[.DEL.]]")]
    public void AcceptsOddPatternsNixAccepts(string ere)
    {
        // The translation must also be a pattern .NET accepts.
        _ = new Regex(PosixRegex.Translate(ere), RegexOptions.CultureInvariant);
    }

    /// <summary>Which of the bytes 1–255 a one-char pattern matches, as hex ranges ("41-5a 61-7a").</summary>
    [Theory]
    [InlineData("[[:alpha:]]", "41-5a 61-7a")]
    [InlineData("[[:digit:]]", "30-39")]
    [InlineData("[[:alnum:]]", "30-39 41-5a 61-7a")]
    [InlineData("[[:upper:]]", "41-5a")]
    [InlineData("[[:lower:]]", "61-7a")]
    [InlineData("[[:space:]]", "09-0d 20")]
    [InlineData("[[:blank:]]", "09 20")]
    [InlineData("[[:punct:]]", "21-2f 3a-40 5b-60 7b-7e")]
    [InlineData("[[:print:]]", "20-7e")]
    [InlineData("[[:graph:]]", "21-7e")]
    [InlineData("[[:cntrl:]]", "01-1f 7f")]
    [InlineData("[[:xdigit:]]", "30-39 41-46 61-66")]
    [InlineData("[[:w:]]", "30-39 41-5a 5f 61-7a")]
    [InlineData("[[:d:]]", "30-39")]
    [InlineData("[[:s:]]", "09-0d 20")]
    [InlineData("[[:Alpha:]]", "41-5a 61-7a")]
    [InlineData(".", "01-ff")]
    [InlineData("[^a]", "01-60 62-ff")]
    [InlineData("[\u0080-\u00FF]", "80-ff")]
    [InlineData("[\u00E9-a]", "01-61 e9-ff")]
    [InlineData("[[=a=]]", "41 61")]
    [InlineData("[[=A=]]", "41 61")]
    [InlineData("[^[:alnum:]]", "01-2f 3a-40 5b-60 7b-ff")]
    [InlineData("[]-a]", "5d-61")]
    [InlineData(@"[\-a]", "5c-61")]
    [InlineData("[[.tab.][.IS1.]]", "09 1f")]
    public void ByteMembershipAgreesWithNix(string ere, string expected)
    {
        var regex = new Regex(@"\A(?:" + PosixRegex.Translate(ere) + @")\z", RegexOptions.CultureInvariant);
        var ranges = new List<string>();
        for (var b = 1; b < 256; b++)
        {
            if (!regex.IsMatch(((char)b).ToString())) continue;
            var end = b;
            while (end + 1 < 256 && regex.IsMatch(((char)(end + 1)).ToString())) end++;
            ranges.Add(end == b ? $"{b:x2}" : $"{b:x2}-{end:x2}");
            b = end;
        }
        Assert.Equal(expected, string.Join(" ", ranges));
    }

    [Fact]
    public void GroupsAreNumberedAsInTheEre()
    {
        var regex = new Regex(PosixRegex.Translate("(a)((b)|(c))*(d{2}){1}x?(e)"), RegexOptions.CultureInvariant);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], regex.GetGroupNumbers());
        Assert.DoesNotContain(regex.GetGroupNames(), n => !int.TryParse(n, out _));
    }

    [Fact]
    public void SpecialCharsOfDotNetAreLiteral()
    {
        // Chars that mean something to .NET (or to its option flags) but nothing to an ERE.
        foreach (var s in new[] { "#", " ", "a b", "}", "]", "\\", "<", "=", "!", "'", "\"", "`", "~", "&", ":" })
        {
            var ere = s == "\\" ? @"\\" : s;
            Assert.Equal("[]", NixMatch(ere, s));
        }
    }

    [Fact]
    public void NonByteCharsAreAContractViolation() =>
        Assert.Throws<ArgumentException>(() => PosixRegex.Translate("\u0100"));

    [Fact]
    public void CacheReturnsTheSameRegex()
    {
        var cache = new RegexCache();
        var r = cache.Get("a(b)*");
        Assert.Same(r, cache.Get("a(b)*"));
        Assert.NotSame(r, new RegexCache().Get("a(b)*"));
        Assert.Same(cache.GetWhole("a(b)*"), cache.GetWhole("a(b)*"));
        Assert.NotSame(r, cache.GetWhole("a(b)*"));
    }

    [Fact]
    public void CacheRejectsInvalidPatternsEveryTime()
    {
        var cache = new RegexCache();
        for (var i = 0; i < 2; i++)
        {
            var e = Assert.Throws<RegexSyntaxException>(() => cache.Get("a{"));
            Assert.Equal("invalid regular expression 'a{'", e.Message);
            Assert.Equal("a{", e.Pattern);
        }
        Assert.Throws<RegexSyntaxException>(() => cache.GetWhole("(a"));
    }

    [Fact]
    public void WholeMatchIsNotTheFirstSearchMatch()
    {
        // The search stops at "a"; only a regex anchored at both ends finds that all of "ab" matches.
        var cache = new RegexCache();
        Assert.Equal(1, cache.Get("a|ab").Match("ab").Length);
        Assert.Matches(cache.GetWhole("a|ab"), "ab");
        Assert.DoesNotMatch(cache.GetWhole("a|ab"), "abc");
        Assert.DoesNotMatch(cache.GetWhole("a"), "a\n");
    }

    [Fact]
    public void AnchorsDoNotMatchAtASearchStartPosition()
    {
        // Like libstdc++ searching on after a previous match, ^ only holds at the start of the string.
        var regex = new RegexCache().Get("^a");
        Assert.False(regex.Match("aa", 1).Success);
        Assert.True(regex.Match("aa", 0).Success);
    }
}
