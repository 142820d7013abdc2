// Builds with nixsharp and with nix-build 2.8 (the oracle) into two chroot stores, both sandboxed
// with /bin/sh from busybox, and compares what they registered: the same output paths printed in
// the same order, and for every path in the outputs' closures the same NAR hash, references and
// deriver. Nix 2.8 then verifies nixsharp's store.
namespace Nixsharp.Cli.Tests;

using Xunit;

public class BuildDifferentialTests
{
    private static readonly string[] Sandbox = { "--option", "sandbox-paths", "/bin/sh=/bin/busybox" };

    /// <summary>38 deterministic derivations: texts, trees, executables, symlinks, multiple outputs
    /// referring to each other, chains, passAsFile, structured attributes, references through
    /// contents, file names, symlink targets and across 64 KiB boundaries, inputs not referred to,
    /// fixed-output derivations (flat and recursive; sha1, sha256, sha512) from a local file,
    /// the builder's environment and identity, allowed/disallowed references, exportReferencesGraph, a setuid file the sandbox refuses.</summary>
    private const string Expression = """
        { flatHash, sha1Hash, recHash, sha512Hash }:
        let
          mkWith = name: attrs: script: derivation ({ inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" script ]; } // attrs);
          mk = name: script: mkWith name { } script;
          greeting = builtins.toFile "greeting" "hi there\n";
        in rec {
          a01-hello = mk "hello" "echo hello > $out";
          a02-text = mk "text" "printf 'tab\\there\\nquote\" backslash\\\\ end\\n' > $out";
          a03-tree = mk "tree" "mkdir -p $out/a/b/c $out/empty; echo x > $out/a/b/c/f; echo y > $out/a/g; ln -s a/g $out/link; ln -s /nonexistent $out/dangling";
          a04-exec = mk "exec" "mkdir $out; printf '#!/bin/sh\\necho hi\\n' > $out/run; chmod +x $out/run; echo data > $out/data";
          a05-multi = mkWith "multi" { outputs = [ "out" "dev" "lib" ]; } "mkdir $out $dev; echo $lib > $out/lib-path; echo $out > $dev/out-path; echo lib > $lib";
          a06-chain1 = mk "chain1" "echo one > $out";
          a07-chain2 = mk "chain2" "echo ${a06-chain1} two > $out";
          a08-chain3 = mk "chain3" "cat ${a07-chain2} > $out; echo three >> $out";
          a09-pass-as-file = mkWith "pass-as-file" { passAsFile = [ "big" "other" ]; big = "line one\nline two ${a01-hello}\n"; other = "o"; }
            "cat $bigPath $otherPath > $out; echo $bigPath $otherPath >> $out; echo \"$big\" >> $out";
          a10-structured = mkWith "structured" {
              __structuredAttrs = true;
              num = 3; flt = 1.5; big = 12345678901; neg = -5; f2 = 3.0; f3 = 1.0e20; f4 = 0.0001; f5 = 123456789.123; f6 = 1.0e-7;
              s = "it's \"q\" \n x é \t end"; l = [ 1 "a" true null ]; o = { a = 1; "b c" = "x"; }; nested = { a = [ 1 ]; };
              b = false; n = null; "bad-name" = 1; dep = a01-hello;
            } ''
              o=$(sed -n 's/.*"outputs":{"out":"\([^"]*\)".*/\1/p' .attrs.json)
              mkdir $o; cp .attrs.json .attrs.sh $o/
            '';
          a11-structured-multi = mkWith "structured-multi" { __structuredAttrs = true; outputs = [ "out" "doc" ]; } ''
              o=$(sed -n 's/.*"out":"\([^"]*\)".*/\1/p' .attrs.json)
              d=$(sed -n 's/.*"doc":"\([^"]*\)".*/\1/p' .attrs.json)
              echo "$d" > $o; echo doc > $d
            '';
          a12-no-ref = mk "no-ref" "tr a-z A-Z < ${a01-hello} > $out";
          a13-symlink-ref = mk "symlink-ref" "ln -s ${a01-hello} $out";
          a14-filename-ref = mk "filename-ref" "mkdir $out; touch $out/$(basename ${a06-chain1})-file";
          a15-boundary = mk "boundary" ''
              head -c 65530 /dev/zero | tr '\000' x > $out
              printf %s ${a01-hello} >> $out
              head -c 65500 /dev/zero | tr '\000' y >> $out
              printf %s ${a06-chain1} >> $out
              head -c 1000 /dev/zero | tr '\000' z >> $out
            '';
          a16-fod-flat = mkWith "fod-flat" { outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = flatHash; } "cat ${./input.txt} > $out";
          a17-fod-recursive = mkWith "fod-recursive" { outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = recHash; }
            "mkdir $out; echo A > $out/a; printf '#!/bin/sh\\n' > $out/b; chmod +x $out/b";
          a18-fod-sha1 = mkWith "fod-sha1" { outputHashAlgo = "sha1"; outputHash = sha1Hash; } "cat ${./input.txt} > $out";
          a19-fod-sha512 = mkWith "fod-sha512" { outputHashMode = "recursive"; outputHashAlgo = "sha512"; outputHash = sha512Hash; } "cat ${./input.txt} > $out";
          a20-uses-fod = mk "uses-fod" "cat ${a16-fod-flat} ${a17-fod-recursive}/a > $out; echo ${a16-fod-flat} ${a19-fod-sha512} >> $out";
          a21-env = mk "env" "echo $NIX_BUILD_TOP $TMPDIR $TEMPDIR $TMP $TEMP $HOME $PATH $NIX_STORE $NIX_LOG_FD $TERM $PWD $name $system $builder $out $NIX_BUILD_CORES $NIX_OUTPUT_CHECKED > $out; pwd >> $out; umask >> $out; ls -A >> $out";
          a22-identity = mk "identity" "id > $out; hostname >> $out; cat /etc/passwd /etc/group /etc/hosts >> $out; echo $$ >> $out";
          a23-store-listing = mkWith "store-listing" { deps = [ a07-chain2 a03-tree ]; } "ls /nix/store > $out";
          a24-allowed-refs = mkWith "allowed-refs" { allowedReferences = [ a01-hello ]; } "echo ${a01-hello} > $out";
          a25-export-graph = mkWith "export-graph" { exportReferencesGraph = [ "closure" a08-chain3 ]; } "cat closure > $out";
          a26-unicode = mk "unicode" "mkdir $out; echo u > $out/ünïcödé; echo s > \"$out/with space\"";
          a27-empty-file = mk "empty-file" "touch $out";
          a28-empty-dir = mk "empty-dir" "mkdir $out";
          a29-large = mk "large" "seq 1 200000 > $out";
          a30-self-ref = mk "self-ref" "mkdir $out; echo $out > $out/self; ln -s $out/self $out/self-link";
          a31-args = derivation { name = "args"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo \"$0|$1|$2\" > $out" "a0" "b 1" "c\"2" ]; };
          a32-hardlink = mk "hardlink" "mkdir $out; echo h > $out/a; ln $out/a $out/b";
          a33-to-file = mk "to-file" "cat ${greeting} > $out; echo ${greeting} >> $out";
          a34-deep-multi = mkWith "deep-multi" { outputs = [ "out" "dev" "lib" ]; } "echo lib > $lib; mkdir $dev; echo $lib > $dev/lib; echo $dev > $out";
          a35-tmp = mk "tmp" "cd /tmp && echo t > x && cat /tmp/x > $out && ls -ld /tmp | cut -c1-10 >> $out";
          a36-disallowed-ok = mkWith "disallowed-ok" { disallowedReferences = [ a06-chain1 ]; disallowedRequisites = [ a06-chain1 ]; } "echo ${a01-hello} ${a12-no-ref} > $out";
          a37-dev-out-dep = mk "dev-out-dep" "cat ${a05-multi.dev}/out-path > $out";
          a38-setuid = mk "setuid" "mkdir $out; echo x > $out/su; chmod 4755 $out/su || echo refused > $out/log; chmod 755 $out/su";
        }
        """;

    private static RunResult Ok(RunResult r, string what)
    {
        Assert.True(r.Code == 0, $"{what}: exit {r.Code}\n{r.Stderr}");
        return r;
    }

    private static string Hash(params string[] args) => Ok(Tools.Nix("nix-hash", args), "nix-hash").Out.Trim();

    [Fact]
    public void SameOutputsHashesAndReferencesAsNixBuild()
    {
        if (!Tools.NixInstalled || !File.Exists("/bin/busybox")) return;
        using var t = new TempDir();
        var dir = t.Sub("expr");
        Directory.CreateDirectory(dir);
        var input = Path.Combine(dir, "input.txt");
        File.WriteAllText(input, "local file contents for fixed-output derivations\n");
        // The recursive output's tree, made here to hash it with nix-hash.
        var tree = t.Sub("tree");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "a"), "A\n");
        File.WriteAllText(Path.Combine(tree, "b"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(tree, "b"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(dir, "default.nix"), Expression);
        var argsFor = new[]
        {
            "--argstr", "flatHash", Hash("--type", "sha256", "--flat", "--base32", input),
            "--argstr", "sha1Hash", Hash("--type", "sha1", "--flat", "--base32", input),
            "--argstr", "recHash", Hash("--type", "sha256", "--base32", tree),
            "--argstr", "sha512Hash", Hash("--type", "sha512", "--base32", input),
        };
        var nixStore = t.Sub("nix");
        var ourStore = t.Sub("ours");
        var theirs = Ok(Tools.Run("nix-build", new[] { "--store", nixStore, "--option", "substituters", "", "--option", "sandbox", "true",
            "--no-out-link", "--max-jobs", "2", Path.Combine(dir, "default.nix") }.Concat(Sandbox).Concat(argsFor)), "nix-build");
        var ours = Ok(Tools.Run(Tools.Nixsharp, new[] { "build", "--store", ourStore, "--no-out-link", "--max-jobs", "2",
            Path.Combine(dir, "default.nix") }.Concat(Sandbox).Concat(argsFor)), "nixsharp build");

        var outputs = theirs.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(38, outputs.Length); // one per derivation: those with several outputs give their first
        Assert.Equal(theirs.Out, ours.Out);

        var closure = Ok(Tools.Nix("nix-store", new[] { "--store", nixStore, "-qR" }.Concat(outputs).ToArray()), "closure").Out
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var compared = 0;
        foreach (var p in closure)
        {
            foreach (var query in new[] { "--hash", "--references", "--deriver", "--size" })
            {
                var expected = Ok(Tools.Nix("nix-store", "--store", nixStore, "-q", query, p), query).Out;
                var actual = Tools.Nix("nix-store", "--store", ourStore, "-q", query, p);
                Assert.True(actual.Code == 0 && actual.Out == expected,
                    $"nix-store -q {query} {p}:\nnix-build: {expected}\nnixsharp:  {actual.Out}{actual.Stderr}");
            }
            compared++;
        }
        Assert.True(compared >= 43, $"only {compared} paths compared");
        Ok(Tools.Nix("nix-store", "--store", ourStore, "--verify", "--check-contents"), "nix-store --verify of nixsharp's store");
    }

    [Fact]
    public void UnsandboxedBuildsInAPlainStoreMatchNixBuild()
    {
        // --option sandbox false: no namespaces, but the same clean environment. A store whose files
        // are where its paths say (no chroot), so the builder writes its outputs straight into it.
        if (!Tools.NixInstalled) return;
        using var t = new TempDir();
        File.WriteAllText(t.Sub("default.nix"), """
            let mk = name: script: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/busybox"; args = [ "sh" "-c" script ]; };
            in rec {
              one = mk "one" "echo one > $out";
              two = mk "two" "mkdir $out; echo ${one} > $out/ref; echo $HOME $PATH $NIX_STORE $name > $out/env; ln -s ${one} $out/link";
              three = derivation { name = "three"; system = "x86_64-linux"; builder = "/bin/busybox"; outputs = [ "out" "bin" ];
                args = [ "sh" "-c" "echo $bin > $out; echo ${two} > $bin; test \"$PWD\" = \"$NIX_BUILD_TOP\" && echo ok >> $bin" ]; };
            }
            """);
        // Both build into the same store directory (so the same paths): Nix first, then, with
        // Nix's store recorded and removed, nixsharp.
        var uri = $"local?store={t.Sub("root")}/store&state={t.Sub("root")}/state&log={t.Sub("root")}/log";
        string Describe(string outputs)
        {
            var paths = outputs.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var closure = Ok(Tools.Nix("nix-store", new[] { "--store", uri, "-qR" }.Concat(paths).ToArray()), "closure").Out;
            var text = outputs + closure;
            foreach (var p in closure.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                foreach (var q in new[] { "--hash", "--references", "--deriver" })
                    text += q + " " + p + "\n" + Ok(Tools.Nix("nix-store", "--store", uri, "-q", q, p), q).Out;
            return text;
        }
        var theirs = Ok(Tools.Run("nix-build", new[] { "--store", uri, "--option", "substituters", "", "--option", "sandbox", "false",
            "--no-out-link", t.Sub("default.nix") }), "nix-build");
        var expected = Describe(theirs.Out);
        Nixsharp.Store.Local.StoreFiles.DeleteTree(t.Sub("root"));
        var ours = Ok(Tools.Run(Tools.Nixsharp, new[] { "build", "--store", uri, "--option", "sandbox", "false", "--no-out-link", t.Sub("default.nix") }),
            "nixsharp build");
        Assert.Equal(expected, Describe(ours.Out));
        // The builder ran in its build directory, as Nix's unsandboxed builders do.
        Assert.Contains("ok", File.ReadAllText(Directory.GetFiles(t.Sub("root") + "/store", "*-three-bin").Single()));
        Ok(Tools.Nix("nix-store", "--store", uri, "--verify", "--check-contents"), "verify");
    }
}
