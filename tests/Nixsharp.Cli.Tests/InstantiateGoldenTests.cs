// Instantiating 210 derivations of every kind (plain, multi-output, fixed-output in every
// algorithm/mode/encoding, dependency chains, structured attributes, passAsFile, store sources,
// odd names): the printed .drv paths, output paths and .drv bytes must be Nix 2.8's.
namespace Nixsharp.Cli.Tests;

using Xunit;

public class InstantiateGoldenTests
{
    private static string GoldenDir
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Nixsharp.slnx"))) dir = Path.GetDirectoryName(dir);
            return Path.Combine(dir ?? throw new InvalidOperationException("repository root not found"),
                "tests", "Nixsharp.Cli.Tests", "golden", "instantiate");
        }
    }

    private static RunResult Instantiate(string store, params string[] extra) =>
        Tools.Run(Tools.Nixsharp, new[] { "instantiate", "--store", store }.Concat(extra).Append("derivations.nix"), cwd: GoldenDir);

    [Fact]
    public void DrvPathsAndWarningsMatchNix28()
    {
        using var t = new TempDir();
        var r = Instantiate(t.Sub("store"));
        Assert.Equal(0, r.Code);
        Assert.Equal(File.ReadAllText(Path.Combine(GoldenDir, "expected.out")), r.Out);
        Assert.Equal(File.ReadAllText(Path.Combine(GoldenDir, "expected.err")), r.Stderr);
        Assert.True(r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 200);
        // Every printed .drv exists and the store is consistent.
        foreach (var line in r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var drv = line.Split('!')[0];
            Assert.True(File.Exists(t.Sub("store") + drv), $"{drv} was printed but not written");
        }
        var verify = Tools.Ns("store", "verify", "--store", t.Sub("store"), "--check-contents");
        Assert.True(verify.Code == 0, verify.Stderr);
    }

    [Fact]
    public void OutputPathsMatchNix28()
    {
        var r = Tools.Run(Tools.Nixsharp, new[] { "instantiate", "--eval", "--strict", "--json", "-E",
            "builtins.mapAttrs (n: d: map (o: d.${o}.outPath) (d.outputs or [ \"out\" ])) (import ./derivations.nix)" }, cwd: GoldenDir);
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(GoldenDir, "expected-outpaths.json")), r.Out);
    }

    [Fact]
    public void DrvFilesAreByteIdenticalAndNixAcceptsTheStore()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var ours = Instantiate(t.Sub("ours"));
        Assert.Equal(0, ours.Code);
        var theirs = Tools.Run("nix-instantiate", new[] { "--store", t.Sub("nix"), "derivations.nix" }, cwd: GoldenDir);
        Assert.Equal(0, theirs.Code);
        Assert.Equal(theirs.Out, ours.Out);

        var ourFiles = Directory.GetFileSystemEntries(t.Sub("ours") + "/nix/store").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var nixFiles = Directory.GetFileSystemEntries(t.Sub("nix") + "/nix/store").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(nixFiles, ourFiles);
        int drvs = 0;
        foreach (var f in nixFiles.Where(f => f!.EndsWith(".drv", StringComparison.Ordinal)))
        {
            drvs++;
            Assert.Equal(File.ReadAllBytes(t.Sub("nix") + "/nix/store/" + f), File.ReadAllBytes(t.Sub("ours") + "/nix/store/" + f));
        }
        Assert.True(drvs >= 200, $"only {drvs} .drv files");

        var verify = Tools.Nix("nix-store", "--store", t.Sub("ours"), "--verify", "--check-contents");
        Assert.True(verify.Code == 0, verify.Stderr);
        var roots = ours.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('!')[0]).ToArray();
        var nixReq = Tools.Nix("nix-store", new[] { "--store", t.Sub("ours"), "-qR" }.Concat(roots).ToArray());
        var ourReq = Tools.Ns(new[] { "store", "query", "--store", t.Sub("ours"), "-R" }.Concat(roots).ToArray());
        Assert.Equal(0, nixReq.Code);
        Assert.Equal(nixReq.Out, ourReq.Out);
        // And nixsharp accepts the store Nix wrote.
        var ourVerify = Tools.Ns("store", "verify", "--store", t.Sub("nix"), "--check-contents");
        Assert.True(ourVerify.Code == 0, ourVerify.Stderr);
    }
}
