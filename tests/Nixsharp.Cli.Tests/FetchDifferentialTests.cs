// The fetchers (fetchurl, fetchTarball, fetchGit), the builtin:fetchurl builder and import from
// derivation, run by Nix 2.8 and by nixsharp on the same inputs, each into a fresh chroot store
// with a fresh HOME (Nix caches downloads there): exit status, output and errors must be equal,
// and so must the store paths. Inputs are made here: files, tarballs made with tar, git
// repositories with fixed dates and names (fetchGit reports commit times), and a small HTTP server.
namespace Nixsharp.Cli.Tests;

using System.Net;
using Xunit;

public sealed class FetchInputs : IDisposable
{
    public TempDir Dir { get; } = new("nixsharp-fetch");
    public string Root => Dir.Path;
    public string FileSha256 { get; }
    public string TarballNarSha256 { get; }
    public string HeadRev { get; private set; } = "";
    public string FirstRev { get; private set; } = "";
    private readonly HttpListener? _http;
    public string? HttpBase { get; }
    private int _counter;

    public FetchInputs()
    {
        File.WriteAllText(Sub("f.txt"), "hello fetch\n");
        // tree/top: a file, an executable, a subdirectory and a symlink; packed in every compression.
        Directory.CreateDirectory(Sub("tree/top/sub"));
        File.WriteAllText(Sub("tree/top/a"), "a\n");
        File.WriteAllText(Sub("tree/top/sub/b"), "#!/bin/sh\n");
        File.SetUnixFileMode(Sub("tree/top/sub/b"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Sub("tree/top/link"), "a");
        Directory.CreateDirectory(Sub("two"));
        File.WriteAllText(Sub("two/x"), "x\n");
        File.WriteAllText(Sub("two/y"), "y\n");
        Run("tar", "-C", Sub("tree"), "-czf", Sub("one.tar.gz"), "top");
        Run("tar", "-C", Sub("tree"), "-cJf", Sub("one.tar.xz"), "top");
        Run("tar", "-C", Sub("tree"), "-cjf", Sub("one.tar.bz2"), "top");
        Run("tar", "-C", Sub("two"), "-czf", Sub("two.tar.gz"), "x", "y");
        FileSha256 = Run("nix-hash", "--type", "sha256", "--flat", "--base32", Sub("f.txt")).Trim();
        TarballNarSha256 = Run("nix-hash", "--type", "sha256", "--base32", Sub("tree/top")).Trim();
        // A NAR of the tree, xz-compressed, for builtin:fetchurl's unpack.
        File.WriteAllBytes(Sub("tree.nar"), Tools.Run("nix-store", new[] { "--dump", Sub("tree/top") }).Stdout);
        Run("xz", "-k", Sub("tree.nar"));
        MakeRepositories();

        try
        {
            for (int port = 18000 + Environment.ProcessId % 2000, tries = 0; tries < 20; port++, tries++)
            {
                var listener = new HttpListener();
                listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                try { listener.Start(); }
                catch (HttpListenerException) { listener.Close(); continue; }
                _http = listener;
                HttpBase = $"http://127.0.0.1:{port}";
                break;
            }
        }
        catch (PlatformNotSupportedException) { }
        if (_http is not null) new Thread(Serve) { IsBackground = true }.Start();
    }

    private void MakeRepositories()
    {
        var env = new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = "A U Thor", ["GIT_AUTHOR_EMAIL"] = "author@example.org",
            ["GIT_COMMITTER_NAME"] = "C O Mitter", ["GIT_COMMITTER_EMAIL"] = "committer@example.org",
            ["GIT_AUTHOR_DATE"] = "2020-01-02T03:04:05Z", ["GIT_COMMITTER_DATE"] = "2020-01-02T03:04:05Z",
            ["GIT_CONFIG_GLOBAL"] = "/dev/null", ["GIT_CONFIG_NOSYSTEM"] = "1",
        };
        string Git(string repo, params string[] args)
        {
            var r = Tools.Run("git", new[] { "-C", repo }.Concat(args), env: env);
            Assert.True(r.Code == 0, $"git {string.Join(' ', args)}: {r.Stderr}");
            return r.Out;
        }
        var repo = Sub("repo");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(repo, "a"), "one\n");
        Directory.CreateDirectory(Path.Combine(repo, "d"));
        File.WriteAllText(Path.Combine(repo, "d/b"), "two\n");
        File.WriteAllText(Path.Combine(repo, "x.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(repo, "x.sh"), (UnixFileMode)0b111_101_101);
        Git(repo, "add", ".");
        Git(repo, "commit", "-q", "-m", "one");
        File.WriteAllText(Path.Combine(repo, "c"), "three\n");
        Git(repo, "add", "c");
        env["GIT_COMMITTER_DATE"] = "2021-01-02T03:04:05Z";
        Git(repo, "commit", "-q", "-m", "two");
        HeadRev = Git(repo, "rev-parse", "HEAD").Trim();
        FirstRev = Git(repo, "rev-parse", "HEAD~1").Trim();
        // A dirty copy: a changed tracked file, a staged new one, an untracked one (left out).
        Run("cp", "-a", repo, Sub("dirty"));
        File.WriteAllText(Sub("dirty/a"), "changed\n");
        File.WriteAllText(Sub("dirty/staged"), "staged\n");
        Git(Sub("dirty"), "add", "staged");
        File.WriteAllText(Sub("dirty/untracked"), "untracked\n");
        Git(Root, "clone", "-q", "--bare", repo, Sub("bare.git"));
    }

    private void Serve()
    {
        while (_http is { IsListening: true })
        {
            HttpListenerContext ctx;
            try { ctx = _http.GetContext(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            var file = Sub(ctx.Request.Url!.AbsolutePath.TrimStart('/'));
            byte[] body;
            if (File.Exists(file)) { ctx.Response.StatusCode = 200; body = File.ReadAllBytes(file); }
            else
            {
                ctx.Response.StatusCode = 404;
                ctx.Response.StatusDescription = "Not Found";
                body = "no such thing here\n"u8.ToArray();
            }
            ctx.Response.ContentLength64 = body.Length;
            ctx.Response.OutputStream.Write(body);
            ctx.Response.Close();
        }
    }

    public string Sub(string name) => Dir.Sub(name);
    public string Url(string name) => "file://" + Sub(name);
    public int Next() => Interlocked.Increment(ref _counter);

    private static string Run(string file, params string[] args)
    {
        var r = Tools.Run(file, args);
        Assert.True(r.Code == 0, $"{file} {string.Join(' ', args)}: {r.Stderr}");
        return r.Out;
    }

    public void Dispose()
    {
        _http?.Close();
        Dir.Dispose();
    }
}

public class FetchDifferentialTests(FetchInputs inputs) : IClassFixture<FetchInputs>
{
    private static readonly string[] Sandbox = { "--option", "substituters", "", "--option", "sandbox-paths", "/bin/sh=/bin/busybox" };

    private static bool CanRun => Tools.NixInstalled && File.Exists("/bin/busybox") && File.Exists("/usr/bin/bwrap");

    /// <summary>Runs `tool` (nix-instantiate or nix-build) and the same nixsharp command with the
    /// same arguments, each on a fresh store and HOME; asserts they agree; returns nixsharp's run.</summary>
    private RunResult Same(string tool, params string[] args)
    {
        var n = inputs.Next();
        RunResult Run(string who, string program, string[] prefix)
        {
            var store = inputs.Sub($"{who}-store-{n}");
            var env = new Dictionary<string, string> { ["HOME"] = inputs.Sub($"{who}-home-{n}"), ["TMPDIR"] = inputs.Sub($"{who}-tmp-{n}") };
            Directory.CreateDirectory(env["TMPDIR"]);
            return Tools.Run(program, prefix.Concat(new[] { "--store", store }).Concat(Sandbox).Concat(args), cwd: inputs.Root, env: env);
        }
        var nix = Run("nix", tool, Array.Empty<string>());
        var ours = Run("ns", Tools.Nixsharp, new[] { tool == "nix-build" ? "build" : "instantiate" });
        var what = $"{tool} {string.Join(' ', args)}";
        Assert.True(nix.Stderr == ours.Stderr, $"{what}: stderr differs\nnix:\n{nix.Stderr}\nnixsharp:\n{ours.Stderr}");
        Assert.True(nix.Out == ours.Out, $"{what}: stdout differs\nnix:\n{nix.Out}\nnixsharp:\n{ours.Out}");
        Assert.True(nix.Code == ours.Code, $"{what}: exit {nix.Code} (nix) vs {ours.Code} (nixsharp)\n{ours.Stderr}");
        return ours;
    }

    private RunResult Eval(string expr) => Same("nix-instantiate", "--eval", "--strict", "-E", expr);

    [Fact]
    public void FetchurlOfLocalFiles()
    {
        if (!CanRun) return;
        var url = inputs.Url("f.txt");
        Assert.Contains("-f.txt\"", Eval($"builtins.fetchurl \"{url}\"").Out);
        Eval($"builtins.fetchurl {{ url = \"{url}\"; sha256 = \"{inputs.FileSha256}\"; }}");
        Eval($"builtins.fetchurl {{ url = \"{url}\"; name = \"renamed\"; }}");
        Eval($"builtins.readFile (builtins.fetchurl \"{url}\")");
        Eval($"builtins.getContext (builtins.fetchurl \"{url}\")");
        // An empty hash is a fake one, with a warning.
        Eval($"builtins.fetchurl {{ url = \"{url}\"; sha256 = \"\"; }}");
    }

    [Fact]
    public void FetchurlErrors()
    {
        if (!CanRun) return;
        var url = inputs.Url("f.txt");
        var mismatch = Eval($"builtins.fetchurl {{ url = \"{url}\"; sha256 = \"{"1" + inputs.FileSha256[1..]}\"; }}");
        Assert.Equal(102, mismatch.Code);
        Assert.StartsWith("error: hash mismatch in file downloaded from", mismatch.Stderr);
        Assert.Contains("Couldn't read a file:// file", Eval($"builtins.fetchurl \"{inputs.Url("missing")}\"").Stderr);
        Eval("builtins.fetchurl \"foo://example.org/x\"");
        Eval($"builtins.fetchurl \"{inputs.Sub("f.txt")}\"");
        Eval($"builtins.fetchurl {{ url = \"{url}\"; sha256 = \"sha256-abc\"; }}");
        Eval($"builtins.fetchurl {{ url = \"{url}\"; hash = \"x\"; }}");
        Eval($"builtins.fetchurl {{ sha256 = \"{inputs.FileSha256}\"; }}");
        Eval($"builtins.fetchurl {{ url = \"{url}\"; name = \"bad name\"; }}");
    }

    [Fact]
    public void FetchurlOverHttp()
    {
        if (!CanRun || inputs.HttpBase is null) return;
        Eval($"builtins.fetchurl \"{inputs.HttpBase}/f.txt\"");
        var missing = Eval($"builtins.fetchurl \"{inputs.HttpBase}/nothing-here\"");
        Assert.Contains("HTTP error 404", missing.Stderr);
    }

    [Fact]
    public void UnreachableHostIsRetriedThenNamed()
    {
        if (!CanRun) return;
        // Retries wait a random time, so only the final error is compared.
        var n = inputs.Next();
        var args = new[] { "--eval", "-E", "builtins.fetchurl \"http://127.0.0.1:1/x\"" };
        var env = new Dictionary<string, string> { ["HOME"] = inputs.Sub($"unreachable-home-{n}") };
        var nix = Tools.Run("nix-instantiate", new[] { "--store", inputs.Sub($"unreachable-nix-{n}") }.Concat(args), env: env);
        var ours = Tools.Run(Tools.Nixsharp, new[] { "instantiate", "--store", inputs.Sub($"unreachable-ns-{n}") }.Concat(args), env: env);
        string Last(string s) => s.TrimEnd('\n').Split('\n')[^1];
        Assert.Equal(Last(nix.Stderr), Last(ours.Stderr));
        Assert.Equal("error: unable to download 'http://127.0.0.1:1/x': Couldn't connect to server (7)", Last(ours.Stderr));
        Assert.Equal(nix.Code, ours.Code);
        Assert.Equal(4, ours.Stderr.Split('\n').Count(l => l.StartsWith("warning: error: unable to download", StringComparison.Ordinal)));
    }

    [Fact]
    public void FetchTarball()
    {
        if (!CanRun) return;
        foreach (var name in new[] { "one.tar.gz", "one.tar.xz", "one.tar.bz2" })
            Assert.Contains("-source\"", Eval($"builtins.fetchTarball \"{inputs.Url(name)}\"").Out);
        Eval($"builtins.fetchTarball {{ url = \"{inputs.Url("one.tar.gz")}\"; sha256 = \"{inputs.TarballNarSha256}\"; name = \"named\"; }}");
        Assert.Equal(102, Eval($"builtins.fetchTarball {{ url = \"{inputs.Url("one.tar.xz")}\"; sha256 = \"{inputs.FileSha256}\"; }}").Code);
        Eval($"builtins.fetchTarball \"{inputs.Url("two.tar.gz")}\"");
        Eval($"builtins.fetchTarball \"{inputs.Url("f.txt")}\"");
        Eval($"builtins.readDir (builtins.fetchTarball \"{inputs.Url("one.tar.gz")}\")");
    }

    [Fact]
    public void FetchGitOfALocalRepository()
    {
        if (!CanRun) return;
        var repo = inputs.Sub("repo");
        var clean = Eval($"builtins.fetchGit {repo}");
        Assert.Contains($"rev = \"{inputs.HeadRev}\"", clean.Out);
        Eval($"builtins.fetchGit {{ url = {repo}; rev = \"{inputs.FirstRev}\"; }}");
        Eval($"builtins.fetchGit {{ url = \"file://{repo}\"; ref = \"main\"; name = \"named\"; }}");
        Eval($"builtins.fetchGit {{ url = {repo}; shallow = true; }}");
        Eval($"builtins.readDir (builtins.fetchGit {repo})");
        var dirty = Eval($"builtins.fetchGit {inputs.Sub("dirty")}");
        Assert.StartsWith("warning: Git tree", dirty.Stderr);
        Eval($"builtins.readDir (builtins.fetchGit {inputs.Sub("dirty")})");
        Eval($"builtins.fetchGit {{ url = {inputs.Sub("bare.git")}; ref = \"main\"; }}");
    }

    [Fact]
    public void FetchGitErrors()
    {
        if (!CanRun) return;
        var repo = inputs.Sub("repo");
        Eval($"builtins.fetchGit {{ url = {repo}; rev = \"{new string('1', 40)}\"; }}");
        Eval($"builtins.fetchGit {{ url = {repo}; ref = \"no-such-branch\"; }}");
        Eval($"builtins.fetchGit {{ url = {repo}; ref = \"a b\"; }}");
        Eval($"builtins.fetchGit {{ url = {repo}; rev = \"abc\"; }}");
        Eval($"builtins.fetchGit {{ url = {repo}; frobnicate = 1; }}");
        Eval($"builtins.fetchGit {{ url = {repo}; ref = [ ]; }}");
        Eval($"builtins.fetchGit {inputs.Sub("not-a-repo")}");
        Eval($"builtins.fetchGit {inputs.Sub("bare.git")}");
    }

    private string WriteExpr(string name, string text)
    {
        var file = inputs.Sub(name);
        File.WriteAllText(file, text);
        return file;
    }

    [Fact]
    public void BuiltinFetchurlBuilder()
    {
        if (!CanRun) return;
        // The builder runs in the sandbox, where a file:// URL sees only the sandbox's paths.
        var file = WriteExpr("fetchurl.nix", $$"""
            { hash, executable ? false, unpack ? false, file ? "f.txt" }:
            import <nix/fetchurl.nix> { url = "file://{{inputs.Root}}/${file}"; sha256 = hash; inherit executable unpack; }
            """);
        string[] withRoot = { "--option", "extra-sandbox-paths", inputs.Root };
        var built = Same("nix-build", new[] { file, "--no-out-link", "--argstr", "hash", inputs.FileSha256 }.Concat(withRoot).ToArray());
        Assert.EndsWith("-f.txt\n", built.Out);
        Assert.Equal(102, Same("nix-build", new[] { file, "--no-out-link", "--argstr", "hash", "1" + inputs.FileSha256[1..] }.Concat(withRoot).ToArray()).Code);
        // Outside the sandbox's paths the file cannot be read.
        Assert.Equal(1, Same("nix-build", file, "--no-out-link", "--argstr", "hash", inputs.FileSha256).Code);
        var execHash = Tools.Run("nix-hash", new[] { "--type", "sha256", "--base32", inputs.Sub("tree/top/sub/b") }).Out.Trim();
        Same("nix-build", new[] { file, "--no-out-link", "--arg", "executable", "true", "--argstr", "file", "tree/top/sub/b", "--argstr", "hash", execHash }
            .Concat(withRoot).ToArray());
        foreach (var nar in new[] { "tree.nar", "tree.nar.xz" })
            Same("nix-build", new[] { file, "--no-out-link", "--arg", "unpack", "true", "--argstr", "file", nar, "--argstr", "hash", inputs.TarballNarSha256 }
                .Concat(withRoot).ToArray());
    }

    [Fact]
    public void ImportFromDerivation()
    {
        if (!CanRun) return;
        var file = WriteExpr("ifd.nix", """
            let
              mk = name: script: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" script ]; };
              gen = mk "gen" "echo generating; echo '{ x = 42; s = \"text\"; }' > $out";
              text = mk "text" "echo hello > $out";
              failing = mk "failing" "echo nope; exit 3";
            in {
              imported = (import gen).x;
              read = builtins.readFile text;
              exists = builtins.pathExists "${text}";
              path = builtins.path { path = text; name = "copied"; };
              fails = builtins.readFile failing;
              top = mk "top" "echo ${toString (import gen).x} ${builtins.readFile text} > $out";
            }
            """);
        foreach (var attr in new[] { "imported", "read", "exists", "path" })
            Same("nix-instantiate", "--eval", "--read-write-mode", "-A", attr, file);
        Assert.Equal(100, Same("nix-instantiate", "--eval", "--read-write-mode", "-A", "fails", file).Code);
        Same("nix-instantiate", "--eval", "--read-write-mode", "--show-trace", "-A", "fails", file);
        Same("nix-instantiate", "--eval", "--read-write-mode", "--option", "allow-import-from-derivation", "false", "-A", "imported", file);
        // Read-only evaluation builds nothing: the .drv was never written.
        Same("nix-instantiate", "--eval", "-A", "imported", file);
        Same("nix-instantiate", "-A", "top", file);
        var built = Same("nix-build", file, "-A", "top", "--no-out-link");
        Assert.EndsWith("-top\n", built.Out);
    }

    [Fact]
    public void EvalCommandBuildsWhatItImports()
    {
        if (!CanRun) return;
        var file = WriteExpr("ifd-eval.nix", """
            let gen = derivation { name = "gen-eval"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo '[ 1 2 ]' > $out" ]; };
            in import gen
            """);
        var r = Tools.Run(Tools.Nixsharp, new[] { "eval", "--store", inputs.Sub($"eval-store-{inputs.Next()}"), "-f", file },
            env: new Dictionary<string, string> { ["HOME"] = inputs.Sub("eval-home") });
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal("[ 1 2 ]\n", r.Out);
        Assert.Contains("building '", r.Stderr);
    }
}
