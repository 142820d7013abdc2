// <nixsharp>, the library built into the binary: found without -I (and overridden by it), each
// builder makes what it says (contents, executable bits, links), and the same .nix files given to
// nix-build 2.8 with -I build the same store paths with the same NAR hashes.
namespace Nixsharp.Cli.Tests;

using Xunit;

public class NixsharpLibraryTests
{
    /// <summary>The library's files as they are in the repository, for Nix's -I.</summary>
    private static string LibraryDir()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Nixsharp.slnx"))) dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        return Path.Combine(dir, "src", "Nixsharp.Language", "CorePackages", "nixsharp");
    }

    /// <summary>Every builder, deterministic and successful.</summary>
    private const string Expression = """
        with import <nixsharp> { };
        rec {
          text = writeText "hello.txt" "hello\nworld\n";
          conf = writeTextFile { name = "conf"; text = "include ${text}\n"; destination = "/etc/app/app.conf"; };
          tool = writeTextFile { name = "tool"; text = "data"; executable = true; checkPhase = "test -x \"$target\""; };
          script = writeShellScript "greet" "echo \"hello from $1\"\n";
          bin = writeShellScriptBin "greet" "echo bin\n";
          cmd = runCommand "cmd" { value = "v a l"; outputs = [ "out" "doc" ]; } "mkdir $out; echo \"$value\" > $out/v; echo doc > $doc";
          first = runCommand "first" { } "mkdir -p $out/etc $out/share; echo h > $out/.hidden; echo first > $out/etc/conflict; echo x > $out/share/x";
          second = runCommand "second" { } "mkdir -p $out/etc $out/share; echo second > $out/etc/conflict; echo y > $out/share/y; echo f > $out/bin; ln -s /dangling $out/dangle";
          joined = symlinkJoin { name = "joined"; paths = [ first conf bin second ]; postBuild = "echo post > $out/post"; };
          farm = linkFarm "farm" [ { name = "a/b/text"; path = text; } { name = "it's here"; path = script; } ];
          farm-set = linkFarm "farm-set" { x = text; y = conf; };
        }
        """;

    private static string Mode(string file) => Convert.ToString((int)File.GetUnixFileMode(file), 8);
    private static string? Link(string file) => new FileInfo(file).LinkTarget;

    [Fact]
    public void EveryBuilderMakesWhatItSays()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        var file = s.Dir.Sub("lib.nix");
        File.WriteAllText(file, Expression);
        string Out(string attr) => s.BuildOk("-A", attr, file);
        string Real(string storePath) => s.Store.Real(storePath);

        var text = Out("text");
        Assert.EndsWith("-hello.txt", text);
        Assert.Equal("hello\nworld\n", s.Read(text));
        Assert.Equal("444", Mode(Real(text)));

        var conf = Out("conf");
        Assert.Equal($"include {text}\n", s.Read(conf + "/etc/app/app.conf"));
        Assert.Equal("444", Mode(Real(conf + "/etc/app/app.conf")));
        Assert.Contains(text, Tools.Nix("nix-store", "--store", s.Store.Root, "-q", "--references", conf).Out);

        var tool = Out("tool");
        Assert.Equal("data", s.Read(tool));
        Assert.Equal("555", Mode(Real(tool)));

        var script = Out("script");
        Assert.Equal("#!/bin/sh\necho \"hello from $1\"\n", s.Read(script));
        Assert.Equal("555", Mode(Real(script)));
        Assert.Equal("hello from tests\n", Tools.Run(Real(script), new[] { "tests" }).Out);

        var bin = Out("bin");
        Assert.Equal("555", Mode(Real(bin + "/bin/greet")));
        Assert.Equal("bin\n", Tools.Run(Real(bin + "/bin/greet"), Array.Empty<string>()).Out);

        Assert.Equal("v a l\n", s.Read(Out("cmd") + "/v"));
        Assert.Equal("doc\n", s.Read(Out("cmd.doc")));

        // Directories are made; files are links into the first path that has them.
        var joined = Out("joined");
        var first = Out("first");
        var second = Out("second");
        var j = Real(joined);
        Assert.Null(Link(j + "/etc"));
        Assert.Null(Link(j + "/share"));
        Assert.Null(Link(j + "/bin"));
        Assert.Equal(first + "/.hidden", Link(j + "/.hidden"));
        Assert.Equal(first + "/etc/conflict", Link(j + "/etc/conflict"));
        Assert.Null(Link(j + "/etc/app"));
        Assert.Equal(conf + "/etc/app/app.conf", Link(j + "/etc/app/app.conf"));
        Assert.Equal(first + "/share/x", Link(j + "/share/x"));
        Assert.Equal(second + "/share/y", Link(j + "/share/y"));
        Assert.Equal(bin + "/bin/greet", Link(j + "/bin/greet")); // the file `bin` of `second` came later
        Assert.Equal(second + "/dangle", Link(j + "/dangle"));
        Assert.Equal("post\n", File.ReadAllText(j + "/post"));
        Assert.Equal(new[] { ".hidden", "bin", "dangle", "etc", "post", "share" },
            Directory.EnumerateFileSystemEntries(j).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var farm = Real(Out("farm"));
        Assert.Equal(text, Link(farm + "/a/b/text"));
        Assert.Equal(script, Link(farm + "/it's here"));
        var farmSet = Real(Out("farm-set"));
        Assert.Equal(text, Link(farmSet + "/x"));
        Assert.Equal(conf, Link(farmSet + "/y"));
        s.AssertNoLeftovers();
    }

    [Fact]
    public void ChecksFailTheBuild()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        var file = s.Dir.Sub("bad.nix");
        File.WriteAllText(file, """
            with import <nixsharp> { };
            {
              syntax = writeShellScript "bad" "if then fi fi\n";
              check = writeTextFile { name = "check"; text = "x"; checkPhase = "grep -q y \"$target\""; };
              destination = writeTextFile { name = "d"; text = "x"; destination = "etc/x"; };
            }
            """);
        Assert.Equal(100, s.Build("-A", "syntax", file).Code);
        Assert.Equal(100, s.Build("-A", "check", file).Code);
        var d = s.Build("-A", "destination", file);
        Assert.Equal(1, d.Code);
        Assert.Contains("writeTextFile: destination 'etc/x' must be empty or start with '/'", d.Stderr);
    }

    [Fact]
    public void FoundWithoutSearchPathAndOverriddenByIt()
    {
        using var t = new TempDir();
        Assert.Equal("/__corepkgs__/nixsharp\n", Tools.Ns("eval", "--expr", "<nixsharp>").Out);
        Assert.Equal("/__corepkgs__/nixsharp/lib.nix\n", Tools.Ns("eval", "--expr", "<nixsharp/lib.nix>").Out);
        var missing = Tools.Ns("eval", "--expr", "<nixsharp/missing.nix>");
        Assert.Contains("file 'nixsharp/missing.nix' was not found in the Nix search path", missing.Stderr);
        // The system defaults to the current one and can be given.
        Assert.Equal("\"x86_64-linux\"\n", Tools.Ns("eval", "--expr", "(import <nixsharp> { }).system").Out);
        Assert.Equal("\"aarch64-linux\"\n",
            Tools.Ns("eval", "--expr", "((import <nixsharp> { system = \"aarch64-linux\"; }).writeText \"t\" \"\").system").Out);
        // A library of one's own comes first.
        var mine = t.Sub("mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "default.nix"), "{ }: { writeText = name: text: \"mine\"; }");
        Assert.Equal("\"mine\"\n", Tools.Ns("eval", "-I", "nixsharp=" + mine, "--expr", "(import <nixsharp> { }).writeText \"a\" \"b\"").Out);
    }

    [Fact]
    public void HelpersGiveWhatNixGivesForTheSameFiles()
    {
        const string expr = """
            with (import <nixsharp> { }).lib;
            [
              (optional true 1) (optional false 1) (optionals true [ 1 2 ]) (optionalString false "x") (optionalAttrs true { a = 1; })
              (concatStrings [ "a" "b" ]) (concatMapStrings (x: x + ";") [ "a" "b" ]) (concatMapStringsSep ", " toString [ 1 2 3 ])
              (concatLines [ "one" "two" ]) (mapAttrsToList (n: v: "${n}=${toString v}") { b = 2; a = 1; })
              (filterAttrs (n: v: v > 1) { a = 1; b = 2; c = 3; }) (genAttrs [ "x" "y" ] (n: n + n))
              (escapeShellArg "it's") (escapeShellArgs [ "a b" "c" ]) (escapeShellArg 5)
            ]
            """;
        var ours = Tools.Ns("instantiate", "--eval", "--strict", "-E", expr);
        Assert.True(ours.Code == 0, ours.Stderr);
        Assert.Equal("[ [ 1 ] [ ] [ 1 2 ] \"\" { a = 1; } \"ab\" \"a;b;\" \"1, 2, 3\" \"one\\ntwo\\n\" [ \"a=1\" \"b=2\" ] " +
            "{ b = 2; c = 3; } { x = \"xx\"; y = \"yy\"; } \"'it'\\\\''s'\" \"'a b' 'c'\" \"'5'\" ]\n", ours.Out);
        if (!Tools.NixInstalled) return;
        var theirs = Tools.Nix("nix-instantiate", "-I", "nixsharp=" + LibraryDir(), "--eval", "--strict", "-E", expr);
        Assert.Equal(theirs.Out, ours.Out);
    }

    [Fact]
    public void SameOutputPathsAndNarHashesAsNixBuildWithTheLibraryFiles()
    {
        if (!Tools.NixInstalled || !BuildScratch.CanRun) return;
        using var t = new TempDir();
        var file = t.Sub("lib.nix");
        File.WriteAllText(file, Expression);
        var nixStore = t.Sub("nix");
        var ourStore = t.Sub("ours");
        var theirs = Tools.Run("nix-build", new[] { "--store", nixStore, "--option", "substituters", "", "--option", "sandbox", "true",
            "--option", "sandbox-paths", "/bin/sh=/bin/busybox", "-I", "nixsharp=" + LibraryDir(), "--no-out-link", file });
        Assert.True(theirs.Code == 0, theirs.Stderr);
        // nixsharp with its own library and its default /bin/sh: busybox imported into the (chroot) store.
        var ours = Tools.Run(Tools.Nixsharp, new[] { "build", "--store", ourStore, "--no-out-link", file },
            env: new Dictionary<string, string> { ["TMPDIR"] = t.Path });
        Assert.True(ours.Code == 0, ours.Stderr);
        Assert.Equal(theirs.Out, ours.Out);

        var outputs = theirs.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, outputs.Length);
        var closure = Tools.Nix("nix-store", new[] { "--store", nixStore, "-qR" }.Concat(outputs).ToArray()).Out
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var p in closure)
            foreach (var query in new[] { "--hash", "--references", "--deriver" })
            {
                var expected = Tools.Nix("nix-store", "--store", nixStore, "-q", query, p).Out;
                var actual = Tools.Nix("nix-store", "--store", ourStore, "-q", query, p);
                Assert.True(actual.Code == 0 && actual.Out == expected,
                    $"nix-store -q {query} {p}:\nnix-build: {expected}\nnixsharp:  {actual.Out}{actual.Stderr}");
            }
        Assert.True(closure.Length >= 11);
        Assert.Equal(0, Tools.Nix("nix-store", "--store", ourStore, "--verify", "--check-contents").Code);
    }
}
