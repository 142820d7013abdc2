// builtins.path, filterSource and storePath on file trees that git cannot hold (empty directories,
// fifos, symlink loops) and on a store directory of our own (NIX_STORE_DIR): built at run time,
// then evaluated by Nix 2.8 and by nixsharp, which must print the same.
namespace Nixsharp.Language.Tests;

using System.Diagnostics;
using System.Text;
using Xunit;

public sealed class StoreBuiltinsTrees : IDisposable
{
    public string Root { get; }
    public string Tree => Root + "/tree";
    public string Store => Root + "/store";
    public const string Object = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo";
    public const string LinkObject = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-link";
    public const string BadHashObject = "eaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bad";

    public StoreBuiltinsTrees()
    {
        Root = Directory.CreateTempSubdirectory("nixsharp-store-builtins-").FullName;
        // tree/: an empty directory, an empty one nested in another, a file and a fifo.
        Directory.CreateDirectory(Tree + "/empty");
        Directory.CreateDirectory(Tree + "/nested/inner");
        File.WriteAllText(Tree + "/file", "contents\n");
        MakeFifo(Tree + "/fifo");
        MakeFifo(Root + "/lone-fifo");
        // store/: a store object, a symlink object pointing at it, and entries that are no store paths.
        Directory.CreateDirectory(Store + "/" + Object + "/bin");
        File.WriteAllText(Store + "/" + Object + "/bin/x", "x\n");
        File.CreateSymbolicLink(Store + "/" + LinkObject, Object);
        Directory.CreateDirectory(Store + "/.links");
        Directory.CreateDirectory(Store + "/" + BadHashObject);
        // Outside the store: a link into it, and symlink loops.
        File.CreateSymbolicLink(Root + "/into-store", Store + "/" + Object + "/bin");
        File.CreateSymbolicLink(Root + "/loop", "loop");
        File.CreateSymbolicLink(Root + "/loop-a", "loop-b/x");
        File.CreateSymbolicLink(Root + "/loop-b", "loop-a");
    }

    private static void MakeFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"mkfifo {path} failed: {p.StandardError.ReadToEnd()}");
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class StoreBuiltinsTests(StoreBuiltinsTrees trees) : IClassFixture<StoreBuiltinsTrees>
{
    /// <summary>Evaluates `expr` with Nix 2.8 and with nixsharp (working directory: the trees'
    /// root) and asserts they agree on exit code, stdout and stderr; returns nixsharp's output.</summary>
    private (int Code, string Stdout, string Stderr) AssertSameAsNix(string expr, bool ownStore = false)
    {
        string? Env(string name) => name switch
        {
            "NIX_PATH" => "",
            "HOME" => "/homeless",
            "NIX_STORE_DIR" => ownStore ? trees.Store : null,
            // Nothing here builds, but no test may ask cache.nixos.org if something ever does.
            "NIX_CONFIG" => "substituters =",
            _ => null,
        };
        string[] args = ["--eval", "--strict", "-E", expr];
        var nix = RunNix(args, trees.Root, ownStore ? trees.Store : null);
        var ours = CorpusTests.RunNixsharp(args, trees.Root, Env);
        Assert.Equal(nix.Stderr, ours.Stderr);
        Assert.Equal(nix.Stdout, ours.Stdout);
        Assert.Equal(nix.Code, ours.Code);
        return ours;
    }

    private static (int Code, string Stdout, string Stderr) RunNix(string[] args, string cwd, string? storeDir)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "nix-instantiate")));
        Assert.True(onPath, "nix-instantiate 2.8 is required on PATH (apt-get install nix-bin); scripts/test.sh installs it");
        var psi = new ProcessStartInfo("nix-instantiate") { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NIX_PATH"] = "";
        psi.Environment["HOME"] = "/homeless";
        psi.Environment.Remove("NIX_STORE_DIR");
        psi.Environment.Remove("NIX_STORE");
        if (storeDir is not null) psi.Environment["NIX_STORE_DIR"] = storeDir;
        using var p = Process.Start(psi)!;
        var so = new MemoryStream();
        var se = new MemoryStream();
        var t1 = p.StandardOutput.BaseStream.CopyToAsync(so);
        var t2 = p.StandardError.BaseStream.CopyToAsync(se);
        p.WaitForExit();
        t1.Wait();
        t2.Wait();
        return (p.ExitCode, Encoding.Latin1.GetString(so.ToArray()), Encoding.Latin1.GetString(se.ToArray()));
    }

    [Fact]
    public void EmptyDirectoriesAreKept()
    {
        var (code, stdout, _) = AssertSameAsNix(
            $"[ (builtins.path {{ path = {trees.Tree}; filter = p: t: baseNameOf p != \"fifo\"; }}) " +
            $"(builtins.filterSource (p: t: t == \"directory\") {trees.Tree}) " +
            $"(builtins.path {{ path = {trees.Tree}/empty; }}) ]");
        Assert.Equal(0, code);
        Assert.Contains("-empty\"", stdout);
    }

    [Fact]
    public void FifosAreUnknownToFiltersAndReadDir()
    {
        var (code, _, stderr) = AssertSameAsNix(
            $"[ (builtins.readDir {trees.Tree}) (builtins.path {{ path = {trees.Tree}; " +
            "filter = p: t: builtins.trace \"${baseNameOf p} ${t}\" (t != \"unknown\"); }) ]");
        Assert.Equal(0, code);
        Assert.Contains("trace: fifo unknown\n", stderr);
        Assert.Contains("trace: inner directory\n", stderr);
    }

    [Theory]
    [InlineData("builtins.path { path = TREE; }")]
    [InlineData("\"${TREE}\"")]
    [InlineData("builtins.path { path = ROOT/lone-fifo; }")]
    public void FifosCannotBeCopied(string template)
    {
        var (code, _, stderr) = AssertSameAsNix(template.Replace("TREE", trees.Tree).Replace("ROOT", trees.Root));
        Assert.NotEqual(0, code);
        Assert.Contains("has an unsupported type", stderr);
    }

    [Fact]
    public void StorePathKeepsASymlinkThatIsAStoreObject()
    {
        var link = $"{trees.Store}/{StoreBuiltinsTrees.LinkObject}";
        var (code, stdout, _) = AssertSameAsNix(
            $"let p = builtins.storePath {link}; in [ p (builtins.getContext p) ]", ownStore: true);
        Assert.Equal(0, code);
        Assert.Contains($"\"{link}\" = {{ path = true; }}", stdout);
    }

    [Fact]
    public void StorePathResolvesSymlinksBelowAndIntoTheStore()
    {
        var (code, stdout, _) = AssertSameAsNix(
            $"map (p: [ p (builtins.getContext p) ]) [ (builtins.storePath {trees.Store}/{StoreBuiltinsTrees.LinkObject}/bin/x) " +
            $"(builtins.storePath {trees.Root}/into-store) ]", ownStore: true);
        Assert.Equal(0, code);
        Assert.Contains($"\"{trees.Store}/{StoreBuiltinsTrees.Object}/bin/x\"", stdout);
        Assert.Contains($"\"{trees.Store}/{StoreBuiltinsTrees.Object}\" = {{ path = true; }}", stdout);
    }

    [Theory]
    [InlineData("STORE/.links", "'.links' is too short to be a valid store path")]
    [InlineData("STORE/" + StoreBuiltinsTrees.BadHashObject, "contains illegal base-32 character 'e'")]
    [InlineData("STORE", "is not in the Nix store")]
    [InlineData("ROOT/loop", "infinite symlink recursion")]
    [InlineData("ROOT/loop-a/y", "infinite symlink recursion")]
    public void StorePathRefusesWhatIsNoStoreObject(string template, string message)
    {
        var (code, _, stderr) = AssertSameAsNix(
            "builtins.storePath " + template.Replace("STORE", trees.Store).Replace("ROOT", trees.Root), ownStore: true);
        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void PathsInAnotherStoreDirectoryAreNamedThere()
    {
        var (code, stdout, _) = AssertSameAsNix(
            $"[ (builtins.path {{ path = {trees.Store}/{StoreBuiltinsTrees.Object}; }}) builtins.storeDir (builtins.toFile \"x\" \"y\") ]",
            ownStore: true);
        Assert.Equal(0, code);
        Assert.StartsWith($"[ \"{trees.Store}/", stdout);
    }
}
