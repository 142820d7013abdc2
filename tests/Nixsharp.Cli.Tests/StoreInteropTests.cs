// nixsharp and Nix 2.8 on each other's stores: adding paths, export/import both ways, the query
// answers, verification, and the chroot store that an unprivileged user falls back to.
namespace Nixsharp.Cli.Tests;

using Xunit;

public class StoreInteropTests
{
    /// <summary>A tree with every entry kind: nested and empty directories, an executable, empty,
    /// padded and non-ASCII files, and symlinks (one dangling).</summary>
    private static string MakeTree(TempDir t)
    {
        var tree = t.Sub("tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub", "deeper"));
        Directory.CreateDirectory(Path.Combine(tree, "empty-dir"));
        File.WriteAllText(Path.Combine(tree, "hello.txt"), "hello\n");
        File.WriteAllBytes(Path.Combine(tree, "empty"), Array.Empty<byte>());
        File.WriteAllBytes(Path.Combine(tree, "eight"), "12345678"u8.ToArray());
        File.WriteAllText(Path.Combine(tree, "sub", "deeper", "big"), new string('x', 100_000));
        File.WriteAllText(Path.Combine(tree, "ünïcode"), "u");
        var exe = Path.Combine(tree, "run.sh");
        File.WriteAllText(exe, "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(exe, (UnixFileMode)0x1ED);
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "hello.txt");
        File.CreateSymbolicLink(Path.Combine(tree, "dangling"), "/nonexistent");
        return tree;
    }

    private static RunResult Ok(RunResult r)
    {
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
        return r;
    }

    [Fact]
    public void AddedPathsMatchNixAndNixVerifiesOurStore()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var tree = MakeTree(t);
        var file = Path.Combine(tree, "hello.txt");
        var cases = new[]
        {
            (new[] { "add", tree }, new[] { "--add", tree }),
            (new[] { "add", file }, new[] { "--add", file }),
            (new[] { "add-fixed", "sha256", file }, new[] { "--add-fixed", "sha256", file }),
            (new[] { "add-fixed", "sha1", file }, new[] { "--add-fixed", "sha1", file }),
            (new[] { "add-fixed", "--recursive", "sha1", tree }, new[] { "--add-fixed", "--recursive", "sha1", tree }),
            (new[] { "add-fixed", "--recursive", "sha512", tree }, new[] { "--add-fixed", "--recursive", "sha512", tree }),
            (new[] { "add-fixed", "md5", file }, new[] { "--add-fixed", "md5", file }),
        };
        foreach (var (ours, theirs) in cases)
        {
            var a = Ok(Tools.Ns(new[] { "store" }.Concat(ours.Take(1)).Concat(new[] { "--store", t.Sub("a") }).Concat(ours.Skip(1)).ToArray()));
            var b = Ok(Tools.Nix("nix-store", new[] { "--store", t.Sub("b") }.Concat(theirs).ToArray()));
            Assert.Equal(b.Out, a.Out);
        }
        Ok(Tools.Nix("nix-store", "--store", t.Sub("a"), "--verify", "--check-contents"));
        Ok(Tools.Ns("store", "verify", "--store", t.Sub("b"), "--check-contents"));
        // Same database rows as Nix wrote (registration times aside).
        foreach (var path in Directory.GetFileSystemEntries(t.Sub("b") + "/nix/store").Select(Path.GetFileName).Where(n => n != ".links"))
        {
            var p = "/nix/store/" + path;
            foreach (var q in new[] { "--hash", "--size", "--references", "--deriver" })
                Assert.Equal(Tools.Nix("nix-store", "--store", t.Sub("b"), "-q", q, p).Out, Tools.Ns("store", "query", "--store", t.Sub("a"), q, p).Out);
        }
    }

    [Fact]
    public void ExportImportWorksBothWaysWithNix()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var tree = MakeTree(t);
        var expr = Path.Combine(t.Path, "e.nix");
        File.WriteAllText(expr, $$"""
            let
              src = builtins.path { path = {{tree}}; name = "tree"; };
              a = derivation { name = "a"; system = "x86_64-linux"; builder = "/bin/sh"; inherit src; t = builtins.toFile "t" "${src}"; };
            in derivation { name = "b"; system = "x86_64-linux"; builder = "/bin/sh"; inherit a; outputs = [ "out" "dev" ]; }
            """);
        var drv = Ok(Tools.Run("nix-instantiate", new[] { "--store", t.Sub("nix"), expr })).Out.Trim();
        Ok(Tools.Ns("instantiate", "--store", t.Sub("ours"), expr));
        var closure = Ok(Tools.Nix("nix-store", "--store", t.Sub("nix"), "-qR", drv)).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, closure.Length); // b.drv, a.drv, the tree and the text

        // Both write byte-identical export streams of the same closure.
        var nixExport = Ok(Tools.Nix("nix-store", new[] { "--store", t.Sub("nix"), "--export" }.Concat(closure).ToArray())).Stdout;
        var ourExport = Ok(Tools.Ns(new[] { "store", "export", "--store", t.Sub("ours") }.Concat(closure).ToArray())).Stdout;
        Assert.Equal(nixExport, ourExport);

        // Nix's stream into a fresh nixsharp store, ours into a fresh Nix store.
        var imported = Ok(Tools.Run(Tools.Nixsharp, new[] { "store", "import", "--store", t.Sub("ours2") }, stdin: nixExport));
        var nixImported = Ok(Tools.Run("nix-store", new[] { "--store", t.Sub("nix2"), "--import" }, stdin: ourExport));
        Assert.Equal(nixImported.Out, imported.Out);
        Ok(Tools.Nix("nix-store", "--store", t.Sub("ours2"), "--verify", "--check-contents"));
        Ok(Tools.Ns("store", "verify", "--store", t.Sub("nix2"), "--check-contents"));
        foreach (var q in new[] { "-R", "--references", "--referrers", "--tree", "--graph" })
        {
            var theirs = Ok(Tools.Nix("nix-store", "--store", t.Sub("nix2"), "-q", q, drv)).Out;
            Assert.Equal(theirs, Ok(Tools.Ns("store", "query", "--store", t.Sub("ours2"), q, drv)).Out);
        }
        // Importing what is already there is a no-op that still lists the paths.
        Assert.Equal(imported.Out, Ok(Tools.Run(Tools.Nixsharp, new[] { "store", "import", "--store", t.Sub("ours2") }, stdin: nixExport)).Out);
    }

    [Fact]
    public void DumpAndRestoreMatchNix()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var tree = MakeTree(t);
        var ours = Ok(Tools.Ns("store", "dump", tree)).Stdout;
        Assert.Equal(Ok(Tools.Nix("nix-store", "--dump", tree)).Stdout, ours);
        Ok(Tools.Run(Tools.Nixsharp, new[] { "store", "restore", t.Sub("restored") }, stdin: ours));
        Assert.Equal(ours, Ok(Tools.Nix("nix-store", "--dump", t.Sub("restored"))).Stdout);
    }

    [Fact]
    public void GcAndDeleteAgreeWithNix()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var expr = Path.Combine(t.Path, "e.nix");
        File.WriteAllText(expr, """
            let mk = n: dep: derivation { name = n; system = "x86_64-linux"; builder = "/bin/sh"; inherit dep; t = builtins.toFile n n; };
            in { kept = mk "kept" (mk "kept-dep" ""); dropped = mk "dropped" (mk "dropped-dep" ""); }
            """);
        foreach (var store in new[] { "ours", "nix" })
        {
            var r = store == "ours" ? Tools.Ns("instantiate", "--store", t.Sub(store), "-A", "kept", "--add-root", t.Sub(store + "-root"), expr)
                                    : Tools.Run("nix-instantiate", new[] { "--store", t.Sub(store), "-A", "kept", "--add-root", t.Sub(store + "-root"), expr });
            Ok(r);
            Ok(store == "ours" ? Tools.Ns("instantiate", "--store", t.Sub(store), "-A", "dropped", expr)
                               : Tools.Run("nix-instantiate", new[] { "--store", t.Sub(store), "-A", "dropped", expr }));
        }
        var deadOurs = Ok(Tools.Ns("store", "gc", "--store", t.Sub("ours"), "--print-dead")).Out;
        var deadNix = Ok(Tools.Nix("nix-store", "--store", t.Sub("nix"), "--gc", "--print-dead")).Out;
        Assert.Equal(Sorted(deadNix), Sorted(deadOurs));
        Assert.Equal(4, Sorted(deadOurs).Length); // dropped, dropped-dep and their two texts
        Assert.Equal(Sorted(Ok(Tools.Nix("nix-store", "--store", t.Sub("nix"), "--gc", "--print-live")).Out),
                     Sorted(Ok(Tools.Ns("store", "gc", "--store", t.Sub("ours"), "--print-live")).Out));

        // A rooted path cannot be deleted; a dead one can.
        var kept = File.ResolveLinkTarget(t.Sub("ours-root"), false)!.ToString();
        var refused = Tools.Ns("store", "delete", "--store", t.Sub("ours"), t.Sub("ours-root"));
        Assert.Equal(1, refused.Code);
        Assert.Contains("since it is still alive", refused.Stderr);
        var gc = Ok(Tools.Ns("store", "gc", "--store", t.Sub("ours")));
        Assert.StartsWith("4 store paths deleted", gc.Out);
        Ok(Tools.Nix("nix-store", "--store", t.Sub("ours"), "--verify", "--check-contents"));
        Assert.Empty(Sorted(Ok(Tools.Ns("store", "gc", "--store", t.Sub("ours"), "--print-dead")).Out));
    }

    private static string[] Sorted(string lines) =>
        lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void UnprivilegedUserWithoutNixGetsAChrootStoreUnderTheirDataDirectory()
    {
        // Nix 2.10 and later do this (2.8 tries to create /nix): with no /nix, no daemon and no
        // root, the store is a chroot store in ~/.local/share/nix/root. Needs root to hide /nix in
        // a private mount namespace and to switch to an unprivileged uid.
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/unshare") || !File.Exists("/usr/bin/setpriv")) return;
        using var t = new TempDir();
        File.WriteAllText(t.Sub("f"), "x");
        var home = t.Sub("home");
        Directory.CreateDirectory(home);
        Tools.Run("chmod", new[] { "-R", "a+rwx", t.Path });
        // /nix becomes an empty directory nobody may write.
        RunResult Run(string command) => Ok(Tools.Run("unshare", new[] { "-m", "sh", "-c",
            $"mount -t tmpfs -o mode=0755 none /nix && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME={home} {command}" }));
        var expected = Tools.NixInstalled
            ? Ok(Tools.Nix("nix-store", "--store", t.Sub("reference"), "--add", t.Sub("f"))).Out
            : Ok(Tools.Ns("store", "add", "--store", t.Sub("reference"), t.Sub("f"))).Out;
        var path = expected.Trim();
        var first = Run($"{Tools.Nixsharp} store add {t.Sub("f")}");
        var root = home + "/.local/share/nix/root";
        Assert.Equal($"warning: '/nix' does not exist, so Nix will use '{root}' as a chroot store\n", first.Stderr);
        Assert.Equal(expected, first.Out);
        Assert.True(File.Exists(root + path));
        // The second time the store exists: no warning, and the path is already valid there.
        var second = Run($"{Tools.Nixsharp} store query --hash {path}");
        Assert.Equal("", second.Stderr);
        Assert.StartsWith("sha256:", second.Out);
    }

    [Fact]
    public void LargeTreesAndFilesAreAddedThroughTheStoreAsNixAddsThem()
    {
        // Beyond the in-memory limit the NAR is restored into a temporary directory in the store
        // and renamed into place; both routes must give Nix's paths and hashes.
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var tree = t.Sub("big");
        Directory.CreateDirectory(Path.Combine(tree, "d"));
        var rnd = new Random(42);
        var big = new byte[6 << 20];
        rnd.NextBytes(big);
        File.WriteAllBytes(Path.Combine(tree, "d", "big.bin"), big);
        for (int i = 0; i < 50; i++) File.WriteAllText(Path.Combine(tree, $"f{i}"), new string((char)('a' + i % 26), i * 1000));
        foreach (var args in new[] { new[] { "--add", tree }, new[] { "--add", Path.Combine(tree, "d", "big.bin") },
                                     new[] { "--add-fixed", "sha256", Path.Combine(tree, "d", "big.bin") },
                                     new[] { "--add-fixed", "--recursive", "sha1", tree } })
        {
            var theirs = Ok(Tools.Nix("nix-store", new[] { "--store", t.Sub("nix") }.Concat(args).ToArray())).Out;
            var verb = args[0] == "--add" ? "add" : "add-fixed";
            var ours = Ok(Tools.Ns(new[] { "store", verb, "--store", t.Sub("ours") }.Concat(args.Skip(1)).ToArray())).Out;
            Assert.Equal(theirs, ours);
            Assert.Equal(Ok(Tools.Nix("nix-store", "--store", t.Sub("nix"), "-q", "--hash", theirs.Trim())).Out,
                         Ok(Tools.Ns("store", "query", "--store", t.Sub("ours"), "--hash", ours.Trim())).Out);
        }
        Ok(Tools.Nix("nix-store", "--store", t.Sub("ours"), "--verify", "--check-contents"));
        // No temporary directories are left behind.
        Assert.DoesNotContain(Directory.GetFileSystemEntries(t.Sub("ours") + "/nix/store"), e => e.EndsWith("-add", StringComparison.Ordinal));
    }

    [Fact]
    public void InstantiatingCopiesFilteredSourcesAskingTheFilterOncePerEntry()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var tree = MakeTree(t);
        var expr = Path.Combine(t.Path, "f.nix");
        File.WriteAllText(expr, $$"""
            let src = builtins.filterSource (p: type: builtins.trace "${baseNameOf p} ${type}" (baseNameOf p != "empty")) {{tree}};
            in derivation { name = "f"; system = "x86_64-linux"; builder = "/bin/sh"; inherit src; }
            """);
        var theirs = Ok(Tools.Run("nix-instantiate", new[] { "--store", t.Sub("nix"), expr }));
        var ours = Ok(Tools.Ns("instantiate", "--store", t.Sub("ours"), expr));
        Assert.Equal(theirs.Out, ours.Out);
        Assert.Equal(theirs.Stderr, ours.Stderr);
        Assert.Equal(1, ours.Stderr.Split('\n').Count(l => l == "trace: hello.txt regular"));
        Ok(Tools.Nix("nix-store", "--store", t.Sub("ours"), "--verify", "--check-contents"));
    }

    [Fact]
    public void StorePathOfAnInvalidPathFailsWhenInstantiatingAsInNixAndLeavesNoDrv()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var expr = Path.Combine(t.Path, "sp.nix");
        File.WriteAllText(expr, "derivation { name = \"sp\"; system = \"x\"; builder = \"/bin/sh\"; x = builtins.storePath /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo; }\n");
        var theirs = Tools.Run("nix-instantiate", new[] { "--store", t.Sub("nix"), "--option", "substituters", "", "--show-trace", expr });
        var ours = Tools.Ns("instantiate", "--store", t.Sub("ours"), "--show-trace", expr);
        Assert.Equal(1, theirs.Code);
        Assert.Equal(1, ours.Code);
        Assert.Equal(theirs.Stderr, ours.Stderr);
        Assert.Equal(new[] { ".links" }, Directory.GetFileSystemEntries(t.Sub("ours") + "/nix/store").Select(Path.GetFileName));
    }

    [Fact]
    public void VerifyReportsAModifiedPathAsNixDoes()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var tree = MakeTree(t);
        var path = Ok(Tools.Ns("store", "add", "--store", t.Sub("s"), tree)).Out.Trim();
        Ok(Tools.Ns("store", "verify", "--store", t.Sub("s"), "--check-contents"));
        // One byte of a valid path changes behind the store's back.
        var file = t.Sub("s") + path + "/hello.txt";
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
        File.WriteAllText(file, "hellO\n");
        var ours = Tools.Ns("store", "verify", "--store", t.Sub("s"), "--check-contents");
        var theirs = Tools.Nix("nix-store", "--store", t.Sub("s"), "--verify", "--check-contents");
        Assert.Equal(1, ours.Code);
        Assert.Equal(1, theirs.Code);
        var line = theirs.Stderr.Split('\n').Single(l => l.Contains("was modified!"));
        Assert.Contains(line, ours.Stderr);
        Assert.Contains("cannot repair", Tools.Ns("store", "verify", "--store", t.Sub("s"), "--check-contents", "--repair").Stderr);
    }

    [Fact]
    public void GcStopsOnceMaxFreedBytesAreFreed()
    {
        using var t = new TempDir();
        var paths = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            File.WriteAllText(t.Sub($"f{i}"), new string('x', 100_000 + i));
            paths.Add(Ok(Tools.Ns("store", "add", "--store", t.Sub("s"), t.Sub($"f{i}"))).Out.Trim());
        }
        var gc = Ok(Tools.Ns("store", "gc", "--store", t.Sub("s"), "--max-freed", "150000"));
        // Deleting stops after the first path that takes the total over the limit: two of six.
        Assert.StartsWith("2 store paths deleted, 0.19 MiB freed", gc.Out);
        Assert.Contains("deleted more than 150000 bytes; stopping", gc.Stderr);
        var left = paths.Count(p => File.Exists(t.Sub("s") + p));
        Assert.Equal(4, left);
        Ok(Tools.Ns("store", "verify", "--store", t.Sub("s"), "--check-contents"));
    }
}
