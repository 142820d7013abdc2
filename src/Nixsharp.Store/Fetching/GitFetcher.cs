// builtins.fetchGit with the system's git, as Nix 2.8 does it. A local working tree asked for
// without ref or rev is taken as it is when dirty (its tracked files, with a warning); otherwise a
// revision is exported with `git archive` (so export-ignore and friends apply as in Nix) and added
// under the given name. Other repositories (remote, or bare) are fetched into a bare cache
// repository first. Git's own complaints are passed on, then "program 'git' failed".
namespace Nixsharp.Store.Fetching;

using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Hashes;
using Nixsharp.Store.Local;

public sealed record GitInput(string Url, string? Ref, string? Rev, string Name, bool Submodules, bool Shallow, bool AllRefs);

/// <summary>Rev and RevCount null for a dirty tree; RevCount null for a shallow fetch.</summary>
public sealed record GitOutput(string StorePath, string? Rev, long? RevCount, long LastModified, byte[] NarHash);

public sealed class GitFetcher
{
    private readonly LocalStore _store;
    private readonly Action<string> _warn;
    private readonly Action<string> _gitStderr;
    private readonly string _cacheDir;

    /// <param name="warn">Receives warnings (without "warning: ").</param>
    /// <param name="gitStderr">Receives what git writes on standard error, as it is.</param>
    /// <param name="cacheDir">Where fetched repositories are kept (bare clones by URL).</param>
    public GitFetcher(LocalStore store, Action<string> warn, Action<string> gitStderr, string cacheDir)
    {
        _store = store; _warn = warn; _gitStderr = gitStderr; _cacheDir = cacheDir;
    }

    public GitOutput Fetch(GitInput input)
    {
        string? localPath = input.Url.StartsWith("file://", StringComparison.Ordinal)
            ? Uri.UnescapeDataString(input.Url.Substring("file://".Length)) : null;
        // A bare repository is fetched from like a remote one.
        bool isLocal = localPath is not null && Path.Exists(Path.Combine(localPath, ".git"));
        var displayUrl = localPath ?? input.Url;

        if (isLocal && input.Ref is null && input.Rev is null)
        {
            var dirty = FetchIfDirty(input, localPath!);
            if (dirty is not null) return dirty;
        }

        var gitRef = input.Ref ?? (isLocal ? Git(localPath!, "rev-parse", "--abbrev-ref", "HEAD").Trim() : "master");
        string repoDir, rev;
        if (isLocal)
        {
            repoDir = localPath!;
            rev = input.Rev ?? Git(repoDir, "rev-parse", gitRef).Trim();
        }
        else
        {
            repoDir = CacheRepository(input.Url);
            var fetchRef = input.AllRefs ? "refs/*"
                : gitRef.StartsWith("refs/", StringComparison.Ordinal) || gitRef == "HEAD" ? gitRef
                : "refs/heads/" + gitRef;
            bool haveRev = input.Rev is not null && Run(repoDir, new[] { "cat-file", "-e", input.Rev + "^{commit}" }, quiet: true).Code == 0;
            if (!haveRev)
                Git(repoDir, "fetch", "--quiet", "--force", "--", input.Url, fetchRef + ":" + fetchRef);
            rev = input.Rev ?? Git(repoDir, "rev-parse", fetchRef).Trim();
        }

        if (Git(repoDir, "rev-parse", "--is-shallow-repository").Trim() == "true" && !input.Shallow)
            throw new FetchException($"'{displayUrl}' is a shallow Git repository, but a non-shallow repository is needed");

        var check = Run(repoDir, new[] { "cat-file", "commit", rev }, quiet: true);
        if (check.Code == 128 && check.Stderr.Contains("bad file", StringComparison.Ordinal))
            throw new FetchException($"Cannot find Git revision '{rev}' in ref '{gitRef}' of repository '{displayUrl}'! " +
                                     "Please make sure that the rev exists on the ref you've specified or add allRefs = true; to fetchGit.");

        var work = UrlFetcher.CreateWorkDir();
        try
        {
            var tree = Path.Combine(work, "tree");
            if (input.Submodules) CheckOutWithSubmodules(repoDir, rev, tree);
            else
            {
                var archive = Path.Combine(work, "rev.tar");
                Git(repoDir, "archive", "--format=tar", "-o", archive, rev);
                Directory.CreateDirectory(tree);
                ArchiveUnpacker.Unpack(archive, tree);
            }
            var storePath = _store.AddToStore(input.Name, tree, recursive: true);
            long lastModified = long.Parse(Git(repoDir, "log", "-1", "--format=%ct", "--no-show-signature", rev).Trim(),
                System.Globalization.CultureInfo.InvariantCulture);
            long? revCount = input.Shallow ? null
                : long.Parse(Git(repoDir, "rev-list", "--count", rev).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            return new GitOutput(storePath, rev, revCount, lastModified, NarHashOf(storePath));
        }
        finally { StoreFiles.DeleteTree(work); }
    }

    /// <summary>A local working tree with uncommitted changes to tracked files (or no commits at
    /// all) is copied as it is: its tracked files only. Null when it is clean.</summary>
    private GitOutput? FetchIfDirty(GitInput input, string path)
    {
        var gitDir = Path.Combine(path, ".git");
        var heads = Path.Combine(gitDir, "refs", "heads");
        bool haveCommits = Directory.Exists(gitDir)
            ? Directory.Exists(heads) && Directory.EnumerateFileSystemEntries(heads).Any()
            : Run(path, new[] { "rev-parse", "--verify", "--quiet", "HEAD" }, quiet: true).Code == 0;
        if (haveCommits)
        {
            var diff = Run(path, new[] { "diff-index", "--quiet", "HEAD", "--" }, quiet: false);
            if (diff.Code == 0) return null;
            if (diff.Code != 1) throw new FetchException($"program 'git' failed with exit code {diff.Code}");
        }
        _warn($"Git tree '{path}' is dirty");

        var listArgs = new List<string> { "ls-files", "-z" };
        if (input.Submodules) listArgs.Add("--recurse-submodules");
        var files = new SortedSet<string>(Git(path, listArgs.ToArray()).Split('\0', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        var root = path.TrimEnd('/');
        bool Keep(string entry)
        {
            var relative = entry.Substring(root.Length).TrimStart('/');
            if (Directory.Exists(entry) && new FileInfo(entry).LinkTarget is null)
            {
                var prefix = relative + "/";
                var next = files.GetViewBetween(prefix, prefix + '\uffff');
                return next.Count > 0;
            }
            return files.Contains(relative);
        }
        var storePath = _store.AddToStore(input.Name, path, recursive: true, filter: Keep);
        long lastModified = haveCommits
            ? long.Parse(Git(path, "log", "-1", "--format=%ct", "--no-show-signature", "HEAD").Trim(), System.Globalization.CultureInfo.InvariantCulture)
            : 0;
        return new GitOutput(storePath, null, null, lastModified, NarHashOf(storePath));
    }

    private void CheckOutWithSubmodules(string repoDir, string rev, string tree)
    {
        Directory.CreateDirectory(tree);
        Git(tree, "init", "--quiet");
        Git(tree, "fetch", "--quiet", "--force", "--", repoDir, rev);
        Git(tree, "checkout", "--quiet", "--detach", rev);
        Git(tree, "-c", "protocol.file.allow=always", "submodule", "--quiet", "update", "--init", "--recursive");
        // The checkout's own git data is no part of the source.
        foreach (var gitEntry in Directory.EnumerateFileSystemEntries(tree, ".git", SearchOption.AllDirectories).ToList())
            StoreFiles.DeleteTree(gitEntry);
    }

    /// <summary>The bare repository fetched URLs are kept in, made on first use.</summary>
    private string CacheRepository(string url)
    {
        var name = NixBase32.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(url)));
        var dir = Path.Combine(_cacheDir, "gitv3", name);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
            Git(Path.GetDirectoryName(dir)!, "init", "--quiet", "--bare", dir);
        }
        return dir;
    }

    private byte[] NarHashOf(string storePath) =>
        Convert.FromHexString(_store.QueryValidPathInfo(storePath).NarHash.AsSpan("sha256:".Length));

    /// <summary>Runs git in `dir` and returns its output; a failure passes on git's complaint and
    /// fails as Nix does.</summary>
    private string Git(string dir, params string[] args)
    {
        var r = Run(dir, args, quiet: false);
        if (r.Code != 0) throw new FetchException($"program 'git' failed with exit code {r.Code}");
        return r.Stdout;
    }

    private (int Code, string Stdout, string Stderr) Run(string dir, string[] args, bool quiet)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(dir);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        if (quiet) psi.Environment["LC_ALL"] = "C";
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FetchException($"cannot run 'git' ({e.Message}); fetchGit needs git installed (Debian: apt-get install git)");
        }
        using (p)
        {
            p.StandardInput.Close();
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (!quiet && stderr.Result.Length > 0) _gitStderr(stderr.Result);
            return (p.ExitCode, stdout, stderr.Result);
        }
    }
}
