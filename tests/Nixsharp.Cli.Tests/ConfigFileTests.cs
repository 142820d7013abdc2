// nix.conf files: nixsharp reads the same syntax and setting names as Nix 2.8, from its own system
// file (or NIX_CONF_DIR), the user's files and NIX_CONFIG, with --option last. Where both tools
// honour the same variables (NIX_CONF_DIR, NIX_USER_CONF_FILES, NIX_CONFIG) they are run side by
// side and must agree.
namespace Nixsharp.Cli.Tests;

using Xunit;

public sealed class ConfigFileTests
{
    private static RunResult Ns(IDictionary<string, string> env, params string[] args) => Tools.Run(Tools.Nixsharp, args, env: env);
    private static RunResult Nix(IDictionary<string, string> env, params string[] args) => Tools.Run("nix-instantiate", args, env: env);

    private static Dictionary<string, string> ConfDir(TempDir t, string systemConf, string? userConf = null, string? inline = null)
    {
        Directory.CreateDirectory(t.Sub("etc"));
        File.WriteAllText(t.Sub("etc/nix.conf"), systemConf);
        var env = new Dictionary<string, string> { ["NIX_CONF_DIR"] = t.Sub("etc"), ["NIX_USER_CONF_FILES"] = t.Sub("user.conf") };
        if (userConf is not null) File.WriteAllText(t.Sub("user.conf"), userConf);
        if (inline is not null) env["NIX_CONFIG"] = inline;
        return env;
    }

    private static string CurrentSystem(Func<IDictionary<string, string>, string[], RunResult> run, IDictionary<string, string> env, params string[] extra)
    {
        var r = run(env, ["--eval", "-E", "builtins.currentSystem", .. extra]);
        Assert.True(r.Code == 0, r.Stderr);
        return r.Out.Trim();
    }

    [Fact]
    public void FilesNixConfigAndOptionsOverrideEachOtherInNixsOrder()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        var cases = new (string System, string? User, string? Inline, string[] Options, string Expected)[]
        {
            ("system = sys-a\n", null, null, [], "\"sys-a\""),
            ("system = sys-a\n", "system = sys-b\n", null, [], "\"sys-b\""),
            ("system = sys-a\n", "system = sys-b\n", "system = sys-c", [], "\"sys-c\""),
            ("system = sys-a\n", "system = sys-b\n", "system = sys-c", ["--option", "system", "sys-d"], "\"sys-d\""),
            ("system = sys-a # a comment\n\n   # only a comment\nsystem\t=\tsys-e  \r\n", null, null, [], "\"sys-e\""),
        };
        foreach (var (sys, user, inline, options, expected) in cases)
        {
            if (File.Exists(t.Sub("user.conf"))) File.Delete(t.Sub("user.conf"));
            var env = ConfDir(t, sys, user, inline);
            string nix = CurrentSystem((e, a) => Nix(e, a), env, options);
            Assert.Equal(expected, nix);
            Assert.Equal(nix, CurrentSystem((e, a) => Ns(e, ["instantiate", .. a]), env, options));
        }
    }

    [Fact]
    public void IncludesAreReadRelativeToTheIncludingFileAndBangIncludeMayBeMissing()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        Directory.CreateDirectory(t.Sub("etc/more"));
        File.WriteAllText(t.Sub("etc/more/extra.conf"), "system = from-include\n");
        var env = ConfDir(t, "system = before\ninclude more/extra.conf\n!include does-not-exist.conf\n");
        Assert.Equal("\"from-include\"", CurrentSystem((e, a) => Nix(e, a), env));
        Assert.Equal("\"from-include\"", CurrentSystem((e, a) => Ns(e, ["instantiate", .. a]), env));

        File.WriteAllText(t.Sub("etc/nix.conf"), "include does-not-exist.conf\n");
        var ours = Ns(env, "instantiate", "--eval", "-E", "1");
        Assert.Equal(1, ours.Code);
        Assert.Equal($"error: file '{t.Sub("etc/does-not-exist.conf")}' included from '{t.Sub("etc/nix.conf")}' (line 1) not found\n", ours.Stderr);
        Assert.NotEqual(0, Nix(env, "--eval", "-E", "1").Code);
    }

    [Fact]
    public void AFileIncludingItselfIsAnErrorNotAHang()
    {
        using var t = new TempDir();
        var env = ConfDir(t, "include nix.conf\n");
        var ours = Ns(env, "instantiate", "--eval", "-E", "1");
        Assert.Equal(1, ours.Code);
        Assert.Contains("includes nest more than 32 deep", ours.Stderr);
    }

    [Fact]
    public void IllegalLinesAreRefusedNamingTheFileAndLineAsNixRefusesThem()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        foreach (var bad in new[] { "garbage line", "max-jobs=3", "= 3", "a b = 3", "max-jobs =3 4", "include", "include a b" })
        {
            var env = ConfDir(t, "# first line\n" + bad + "\n");
            var nix = Nix(env, "--eval", "-E", "1");
            Assert.NotEqual(0, nix.Code);
            Assert.Contains("illegal configuration line", nix.Stderr);
            var ours = Ns(env, "instantiate", "--eval", "-E", "1");
            Assert.Equal(1, ours.Code);
            Assert.Equal($"error: illegal configuration line '{bad}' in '{t.Sub("etc/nix.conf")}' (line 2; expected 'NAME = VALUE', 'include FILE' or '!include FILE')\n",
                ours.Stderr);
            Assert.Empty(ours.Stdout);
        }
    }

    [Fact]
    public void UnknownSettingsAreWarnedAboutOnceInNameOrderLikeNix()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        // Known names, old aliases and extra- forms pass silently; the rest are named.
        var env = ConfDir(t, "zz-unknown = 1\nbuild-use-sandbox = false\nextra-substituters = file:///x\nbinary-caches = file:///y\nmax-jobs = 2\n",
            "aa-unknown = 2\nzz-unknown = 3\nextra-foo = 1\n");
        var nix = Nix(env, "--eval", "-E", "1");
        var ours = Ns(env, "instantiate", "--eval", "-E", "1");
        Assert.Equal(0, ours.Code);
        Assert.Equal("warning: unknown setting 'aa-unknown'\nwarning: unknown setting 'extra-foo'\nwarning: unknown setting 'zz-unknown'\n", ours.Stderr);
        Assert.Equal(nix.Stderr, ours.Stderr);
        Assert.Equal(nix.Out, ours.Out);
    }

    [Fact]
    public void BadValuesInAFileAreErrorsNamingTheFileAndLine()
    {
        using var t = new TempDir();
        var cases = new (string Line, string Message)[]
        {
            ("max-jobs = x", "configuration setting 'max-jobs' should be 'auto' or an integer"),
            ("keep-going = maybe", "Boolean setting 'keep-going' has invalid value 'maybe'"),
            ("cores = -1", "setting 'cores' has invalid value '-1'"),
            ("sandbox = maybe", "option 'sandbox' has invalid value 'maybe'"),
            ("show-trace = perhaps", "Boolean setting 'show-trace' has invalid value 'perhaps'"),
        };
        foreach (var (line, message) in cases)
        {
            var env = ConfDir(t, "\n" + line + "\n");
            var ours = Ns(env, "instantiate", "--eval", "-E", "1");
            Assert.Equal(1, ours.Code);
            Assert.Equal($"error: {message} (set in '{t.Sub("etc/nix.conf")}' line 2)\nTry 'nixsharp instantiate --help' for more information.\n", ours.Stderr);
        }
    }

    [Fact]
    public void BooleansTakeYesNoOneAndZeroAsNixDoes()
    {
        using var t = new TempDir();
        var env = ConfDir(t, "keep-going = yes\nkeep-failed = 0\nshow-trace = no\nrequire-sigs = 1\n");
        var ours = Ns(env, "instantiate", "--eval", "-E", "1");
        Assert.Equal(0, ours.Code);
        Assert.Equal("", ours.Stderr);
    }

    [Fact]
    public void TheNixPathSettingReplacesNixPathAndExtraNixPathAddsToIt()
    {
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        Directory.CreateDirectory(t.Sub("a"));
        Directory.CreateDirectory(t.Sub("b"));
        File.WriteAllText(t.Sub("a/x.nix"), "\"from a\"");
        File.WriteAllText(t.Sub("b/y.nix"), "\"from b\"");
        var env = ConfDir(t, $"nix-path = one={t.Sub("a")}\nextra-nix-path = two={t.Sub("b")}\n");
        env["NIX_PATH"] = "one=/nonexistent";
        foreach (var expr in new[] { "import <one/x.nix>", "import <two/y.nix>" })
        {
            var nix = Nix(env, "--eval", "-E", expr);
            var ours = Ns(env, "instantiate", "--eval", "-E", expr);
            Assert.True(nix.Code == 0, nix.Stderr);
            Assert.True(ours.Code == 0, ours.Stderr);
            Assert.Equal(nix.Out, ours.Out);
        }
    }

    [Fact]
    public void TheStoreSettingPicksTheStoreOfCommandsWithoutStore()
    {
        using var t = new TempDir();
        File.WriteAllText(t.Sub("hello.txt"), "hello\n");
        var env = ConfDir(t, $"store = {t.Sub("chroot")}\n");
        var added = Ns(env, "store", "add", t.Sub("hello.txt"));
        Assert.True(added.Code == 0, added.Stderr);
        var path = added.Out.Trim();
        Assert.StartsWith("/nix/store/", path);
        Assert.True(File.Exists(t.Sub("chroot") + path), "the path went into the chroot store the setting names");
        // --store on the command line still wins.
        var elsewhere = Ns(env, "store", "add", "--store", t.Sub("other"), t.Sub("hello.txt"));
        Assert.True(elsewhere.Code == 0, elsewhere.Stderr);
        Assert.True(File.Exists(t.Sub("other") + path));
    }

    [Fact]
    public void CopyTakesRequireSigsAndTrustedKeysFromTheConfiguration()
    {
        using var t = new TempDir();
        var noConf = ConfDir(t, "");
        // Input-addressed (as build outputs are), so only a signature can vouch for it.
        var item = FakeClosure.TextItem("hello", "hello");
        FakeClosure.Import(t.Sub("src"), [item]);
        var path = item.Path;
        var upload = Ns(noConf, "copy", "--store", t.Sub("src"), "--to", "file://" + t.Sub("cache"), path);
        Assert.True(upload.Code == 0, upload.Stderr);

        // Unsigned: refused by default...
        var refused = Ns(noConf, "copy", "--store", t.Sub("dst"), "--from", "file://" + t.Sub("cache"), path);
        Assert.Equal(1, refused.Code);
        Assert.Contains("lacks a valid signature", refused.Stderr);
        // ...accepted when nix.conf turns checking off, and --option turns it back on.
        var relaxed = ConfDir(t, "require-sigs = false\n");
        Assert.Equal(1, Ns(relaxed, "copy", "--store", t.Sub("dst"), "--option", "require-sigs", "true", "--from", "file://" + t.Sub("cache"), path).Code);
        var accepted = Ns(relaxed, "copy", "--store", t.Sub("dst"), "--from", "file://" + t.Sub("cache"), path);
        Assert.True(accepted.Code == 0, accepted.Stderr);
        Assert.True(File.Exists(t.Sub("dst") + path));
    }

    [Fact]
    public void TheUsersFileDefaultsToNixsharpUnderXdgConfigHome()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t.Sub("config/nixsharp"));
        File.WriteAllText(t.Sub("config/nixsharp/nix.conf"), "system = from-xdg\n");
        var env = new Dictionary<string, string> { ["NIX_CONF_DIR"] = t.Sub("none"), ["XDG_CONFIG_HOME"] = t.Sub("config") };
        Assert.Equal("\"from-xdg\"", CurrentSystem((e, a) => Ns(e, ["instantiate", .. a]), env));
        env["HOME"] = t.Path;
        env.Remove("XDG_CONFIG_HOME");
        Directory.CreateDirectory(t.Sub(".config/nixsharp"));
        File.WriteAllText(t.Sub(".config/nixsharp/nix.conf"), "system = from-home\n");
        Assert.Equal("\"from-home\"", CurrentSystem((e, a) => Ns(e, ["instantiate", .. a]), env));
    }
}
