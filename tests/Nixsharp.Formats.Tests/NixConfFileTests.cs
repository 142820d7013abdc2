// The nix.conf syntax on its own: words, comments, includes. What Nix 2.8 accepts and refuses is
// checked against nix-instantiate in Nixsharp.Cli.Tests.ConfigFileTests.
namespace Nixsharp.Formats.Tests;

using Nixsharp.Formats.Config;
using Xunit;

public sealed class NixConfFileTests
{
    private static List<ConfigEntry> Parse(string text, Dictionary<string, string>? files = null)
    {
        var entries = new List<ConfigEntry>();
        NixConfFile.Parse(text, "/etc/test.conf", "/etc", p => files is not null && files.TryGetValue(p, out var t) ? t : null, entries);
        return entries;
    }

    [Fact]
    public void ValuesAreTheWordsAfterTheEqualsSignJoinedBySingleSpaces()
    {
        var e = Parse("substituters =  a\t b   c  # then a comment\r\nempty =\n\n# x = y\n");
        Assert.Equal(2, e.Count);
        Assert.Equal(("substituters", "a b c", 1), (e[0].Name, e[0].Value, e[0].Line));
        Assert.Equal(("empty", "", 2), (e[1].Name, e[1].Value, e[1].Line));
        Assert.Equal("/etc/test.conf:2", e[1].Where);
    }

    [Fact]
    public void IncludedEntriesComeInPlaceWithTheirOwnOrigin()
    {
        var files = new Dictionary<string, string> { ["/etc/sub/more.conf"] = "\nb = 2\n" };
        var e = Parse("a = 1\ninclude sub/more.conf\n!include sub/missing.conf\nc = 3\n", files);
        Assert.Equal(new[] { "a", "b", "c" }, e.Select(x => x.Name));
        Assert.Equal(("/etc/sub/more.conf", 2), (e[1].Origin, e[1].Line));
        var missing = Assert.Throws<ConfigFileException>(() => Parse("include nope.conf\n"));
        Assert.Equal("file '/etc/nope.conf' included from '/etc/test.conf' (line 1) not found", missing.Message);
    }

    [Theory]
    [InlineData("a=1")]
    [InlineData("= 1")]
    [InlineData("a b = 1")]
    [InlineData("include")]
    [InlineData("!include a b")]
    public void MalformedLinesAreRefusedWithTheirNumber(string line)
    {
        var e = Assert.Throws<ConfigFileException>(() => Parse("ok = 1\n" + line + "\n"));
        Assert.Contains("(line 2;", e.Message);
    }
}
