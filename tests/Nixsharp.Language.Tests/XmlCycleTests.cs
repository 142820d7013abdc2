// --xml and builtins.toXML of a value that contains itself. Nix 2.8 writes until its stack
// overflows (about 330 GB for `builtins`, 16 GiB of memory for toXML of a cyclic set), then says
// "stack overflow (possible infinite recursion)"; nixsharp says the same when the value meets
// itself. (These are not corpus cases: the oracle test would have to read Nix's gigabytes.)
namespace Nixsharp.Language.Tests;

using Xunit;

public class XmlCycleTests
{
    private static (int Code, string Stdout, string Stderr) Eval(string expression, params string[] flags)
    {
        var dir = Path.Combine(Path.GetTempPath(), "nixsharp-xml-cycle-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "case.nix"), expression);
            return CorpusTests.RunNixsharp(["--eval", "--strict", .. flags, "case.nix"], dir, Corpus.EnvFor);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("builtins")]
    [InlineData("let x = { a = x; }; in x")]
    [InlineData("let x = [ 1 x ]; in x")]
    [InlineData("let x = { a = [ { b = x; } ]; }; in x")]
    public void XmlOfAValueInsideItselfIsNixsStackOverflowError(string expression)
    {
        var (code, _, stderr) = Eval(expression, "--xml");
        Assert.Equal(1, code);
        Assert.Equal("error: stack overflow (possible infinite recursion)\n", stderr);
    }

    [Fact]
    public void ToXmlOfAValueInsideItselfIsTheSameError()
    {
        var (code, _, stderr) = Eval("let x = { a = x; }; in builtins.toXML x");
        Assert.Equal(1, code);
        Assert.Equal("error: stack overflow (possible infinite recursion)\n", stderr);
    }

    [Fact]
    public void AValueSharedBySiblingsIsWrittenEachTime()
    {
        var (code, stdout, stderr) = Eval("let y = { b = 1; }; in { a = y; c = [ y y ]; }", "--xml");
        Assert.True(code == 0, stderr);
        Assert.Equal(3, stdout.Split("name=\"b\"").Length - 1);
    }
}
