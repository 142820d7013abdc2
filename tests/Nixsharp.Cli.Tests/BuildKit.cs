// Shared by the build tests: an expression in a scratch directory, built into a chroot store with
// /bin/sh from busybox in the sandbox, and reading what the builds left.
namespace Nixsharp.Cli.Tests;

using Xunit;

public sealed class BuildScratch : IDisposable
{
    public TempDir Dir { get; } = new("nixsharp-build");
    public TestStore Store { get; }
    public string Tmp { get; }
    public static readonly string[] ShFromBusybox = { "--option", "sandbox-paths", "/bin/sh=/bin/busybox" };

    public BuildScratch()
    {
        Store = new TestStore(Dir.Sub("store"));
        Tmp = Dir.Sub("tmp");
        Directory.CreateDirectory(Tmp);
    }

    public static bool CanRun => File.Exists("/bin/busybox") && File.Exists("/usr/bin/bwrap");

    /// <summary>Writes default.nix: `body` is an attribute set's contents with `mk NAME SCRIPT` and
    /// `mkWith NAME ATTRS SCRIPT` in scope.</summary>
    public string Write(string body, string? name = null)
    {
        var file = Dir.Sub(name ?? "default.nix");
        File.WriteAllText(file, "let\n" +
            "  mkWith = name: attrs: script: derivation ({ inherit name; system = \"x86_64-linux\"; builder = \"/bin/sh\"; args = [ \"-c\" script ]; } // attrs);\n" +
            "  mk = name: script: mkWith name { } script;\n" +
            "in rec {\n" + body + "\n}\n");
        return file;
    }

    /// <summary>The environment builds run with here: build directories go under the scratch directory.</summary>
    public Dictionary<string, string> Env => new() { ["TMPDIR"] = Tmp };

    /// <summary>nixsharp build with the scratch store and TMPDIR, and /bin/sh from busybox.</summary>
    public RunResult Build(params string[] args) =>
        Tools.Run(Tools.Nixsharp, new[] { "build", "--store", Store.Root, "--no-out-link" }.Concat(ShFromBusybox).Concat(args),
            cwd: Dir.Path, env: Env);

    public string BuildOk(params string[] args)
    {
        var r = Build(args);
        Assert.True(r.Code == 0, $"exit {r.Code}:\n{r.Stderr}");
        return r.Out.Trim();
    }

    /// <summary>The contents of a file in the store (a store path or below one).</summary>
    public string Read(string storePath) => File.ReadAllText(Store.Real(storePath));

    /// <summary>Nothing of a build is left outside the store: no build directories, no sandbox roots.</summary>
    public void AssertNoLeftovers()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(Tmp));
        Assert.DoesNotContain(Store.StrayEntries(), e => e.EndsWith(".chroot", StringComparison.Ordinal));
    }

    public void Dispose() => Dir.Dispose();
}
