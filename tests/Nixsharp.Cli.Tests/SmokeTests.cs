namespace Nixsharp.Cli.Tests;

using Xunit;

public class SmokeTests
{
    [Fact]
    public void StoreAddPrintsTheSamePathAsNixStore()
    {
        using var t = new TempDir();
        var tree = t.Sub("tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        File.WriteAllText(Path.Combine(tree, "f"), "hello\n");
        File.WriteAllText(Path.Combine(tree, "sub", "g"), "world\n");
        var ours = Tools.Ns("store", "add", "--store", t.Sub("a"), tree);
        Assert.Equal(0, ours.Code);
        Assert.StartsWith("/nix/store/", ours.Out);
        if (!Tools.NixInstalled) return;
        var theirs = Tools.Nix("nix-store", "--store", t.Sub("b"), "--add", tree);
        Assert.Equal(theirs.Out, ours.Out);
        Assert.Equal(0, Tools.Nix("nix-store", "--store", t.Sub("a"), "--verify", "--check-contents").Code);
    }
}
