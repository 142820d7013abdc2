// Dependencies point one way: formats <- language, formats <- store, and both <- cli, never back.
namespace Nixsharp.Language.Tests;

using System.Xml.Linq;
using Xunit;

public class ArchitectureTests
{
    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Nixsharp.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }

    private static string[] ProjectReferences(string csproj) =>
        XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value)).ToArray();

    [Fact]
    public void WireFormatsDependOnNothing()
    {
        var refs = ProjectReferences(Path.Combine(RepoRoot(), "src", "Nixsharp.Formats", "Nixsharp.Formats.csproj"));
        Assert.Empty(refs);
    }

    [Fact]
    public void LanguageLayerDependsOnlyOnWireFormats()
    {
        var refs = ProjectReferences(Path.Combine(RepoRoot(), "src", "Nixsharp.Language", "Nixsharp.Language.csproj"));
        Assert.Equal(new[] { "Nixsharp.Formats" }, refs);
    }

    [Fact]
    public void StoreLayerDependsOnlyOnWireFormats()
    {
        // The store knows nothing of the language: the CLI's glue connects the two.
        var refs = ProjectReferences(Path.Combine(RepoRoot(), "src", "Nixsharp.Store", "Nixsharp.Store.csproj"));
        Assert.Equal(new[] { "Nixsharp.Formats" }, refs);
    }

    [Fact]
    public void CliIsTheOnlyProjectThatReferencesTheCli()
    {
        var root = RepoRoot();
        foreach (var proj in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories))
            Assert.DoesNotContain("Nixsharp.Cli", ProjectReferences(proj).Where(r => !proj.EndsWith("Nixsharp.Cli.csproj")));
    }
}
