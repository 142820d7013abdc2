// Dependencies point one way: formats <- language, formats <- store <- builder, formats/store <- remote,
// and all of them <- cli, never back.
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
    public void BuilderLayerDependsOnlyOnFormatsAndStore()
    {
        // The builder realises .drv files: it needs the store and the wire formats, never the language.
        var refs = ProjectReferences(Path.Combine(RepoRoot(), "src", "Nixsharp.Builder", "Nixsharp.Builder.csproj"));
        Assert.Equal(new[] { "Nixsharp.Formats", "Nixsharp.Store" }, refs.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void RemoteLayerDependsOnlyOnFormatsAndStore()
    {
        // Binary caches and signatures move store paths: no language, no builder.
        var refs = ProjectReferences(Path.Combine(RepoRoot(), "src", "Nixsharp.Remote", "Nixsharp.Remote.csproj"));
        Assert.Equal(new[] { "Nixsharp.Formats", "Nixsharp.Store" }, refs.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void OnlyTheCliReferencesTheRemoteLayer()
    {
        var root = RepoRoot();
        foreach (var proj in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            if (proj.EndsWith("Nixsharp.Cli.csproj", StringComparison.Ordinal)) continue;
            Assert.DoesNotContain("Nixsharp.Remote", ProjectReferences(proj));
        }
        Assert.Contains("Nixsharp.Remote", ProjectReferences(Path.Combine(root, "src", "Nixsharp.Cli", "Nixsharp.Cli.csproj")));
    }

    [Fact]
    public void OnlyTheCliReferencesTheBuilder()
    {
        var root = RepoRoot();
        foreach (var proj in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            if (proj.EndsWith("Nixsharp.Cli.csproj", StringComparison.Ordinal)) continue;
            Assert.DoesNotContain("Nixsharp.Builder", ProjectReferences(proj));
        }
        Assert.Contains("Nixsharp.Builder", ProjectReferences(Path.Combine(root, "src", "Nixsharp.Cli", "Nixsharp.Cli.csproj")));
    }

    [Fact]
    public void CliIsTheOnlyProjectThatReferencesTheCli()
    {
        var root = RepoRoot();
        foreach (var proj in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories))
            Assert.DoesNotContain("Nixsharp.Cli", ProjectReferences(proj).Where(r => !proj.EndsWith("Nixsharp.Cli.csproj")));
    }
}
