// Finding what the garbage collector must keep: permanent roots (symlinks under gcroots/ and
// profiles/, following indirect roots one level, as Nix does), temporary roots of live processes,
// and runtime roots (store paths that running processes have open, mapped, or in their
// environment).
namespace Nixsharp.Store.Local;

using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Nixsharp.Formats.Hashes;

public sealed class GcRoots
{
    private readonly StoreLayout _layout;
    private readonly Func<string, bool> _isValid;
    private readonly Action<string> _log;

    public GcRoots(StoreLayout layout, Func<string, bool> isValid, Action<string> log)
    {
        _layout = layout;
        _isValid = isValid;
        _log = log;
    }

    /// <summary>If `path` names something in the store, the store path itself (first two components).</summary>
    public string? ToStorePath(string path)
    {
        var dir = _layout.StoreDir + "/";
        if (!path.StartsWith(dir, StringComparison.Ordinal)) return null;
        var rest = path.AsSpan(dir.Length);
        var slash = rest.IndexOf('/');
        var baseName = slash < 0 ? rest : rest[..slash];
        if (baseName.Length < 34 || baseName[32] != '-') return null;
        foreach (var c in baseName[..32])
            if (!NixBase32.Alphabet.Contains(c)) return null;
        return dir + baseName.ToString();
    }

    /// <summary>Adds a permanent root: the symlink gcRoot → storePath, registered as an indirect
    /// root so the collector finds it wherever it lives.</summary>
    public string AddPermRoot(string storePath, string gcRoot)
    {
        gcRoot = Path.GetFullPath(gcRoot);
        if (ToStorePath(gcRoot) is not null || gcRoot.StartsWith(_layout.RealStoreDir + "/", StringComparison.Ordinal))
            throw new IOException($"creating a garbage collector root ({gcRoot}) in the Nix store is forbidden (are you running nix-build inside the store?)");
        var existing = Posix.LStat(gcRoot);
        if (existing is not null)
        {
            var target = existing.Value.IsSymlink ? new FileInfo(gcRoot).LinkTarget : null;
            if (target is null || ToStorePath(target) is null)
                throw new IOException($"cannot create symlink '{gcRoot}'; already exists");
        }
        ReplaceSymlink(gcRoot, storePath);
        AddIndirectRoot(gcRoot);
        return gcRoot;
    }

    /// <summary>Records `link` (a symlink anywhere) as a root: a link to it in gcroots/auto named by
    /// the SHA-1 of its path, as Nix names them.</summary>
    public void AddIndirectRoot(string link)
    {
        var hash = NixBase32.Encode(SHA1.HashData(Encoding.UTF8.GetBytes(link)));
        ReplaceSymlink(Path.Combine(_layout.GcRootsDir, "auto", hash), link);
    }

    /// <summary>Atomically points `link` at `target` (a fresh symlink renamed over the old one).</summary>
    public static void ReplaceSymlink(string link, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        var temp = $"{link}.tmp-{Environment.ProcessId}-{Random.Shared.Next()}";
        File.CreateSymbolicLink(temp, target);
        File.Move(temp, link, overwrite: true);
    }

    /// <summary>Permanent and runtime roots: store path → where the root was found. For listing,
    /// roots whose targets are not valid are skipped (as Nix says it does). A collector keeps them:
    /// the target may become valid right after the scan, registered by a process that is gone by
    /// the time the collector reads temporary roots, and a root must still count then.</summary>
    public Dictionary<string, HashSet<string>> FindPermanentRoots(bool includeRuntime = true, bool keepInvalid = false)
    {
        _keepInvalid = keepInvalid;
        var roots = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        Scan(_layout.GcRootsDir, roots, 0);
        Scan(_layout.ProfilesDir, roots, 0);
        if (includeRuntime) FindRuntimeRoots(roots);
        return roots;
    }

    private void Found(Dictionary<string, HashSet<string>> roots, string where, string target)
    {
        var sp = ToStorePath(target);
        if (sp is null) return;
        if (_keepInvalid || _isValid(sp))
        {
            if (!roots.TryGetValue(sp, out var set)) roots[sp] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(where);
        }
        else
            _log($"skipping invalid root from '{where}' to '{target}'");
    }

    private bool _keepInvalid;

    private void Scan(string path, Dictionary<string, HashSet<string>> roots, int depth)
    {
        if (depth > 100) return;
        try
        {
            var st = Posix.LStat(path);
            if (st is null) return;
            if (st.Value.IsDirectory)
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(path))
                    Scan(entry, roots, depth + 1);
            }
            else if (st.Value.IsSymlink)
            {
                var target = new FileInfo(path).LinkTarget!;
                if (ToStorePath(target) is not null) { Found(roots, path, target); return; }
                // An indirect root: a link to a link that points into the store.
                var abs = Path.GetFullPath(target, Path.GetDirectoryName(path)!);
                var st2 = Posix.LStat(abs);
                if (st2 is null)
                {
                    if (path.StartsWith(Path.Combine(_layout.GcRootsDir, "auto") + "/", StringComparison.Ordinal))
                    {
                        _log($"removing stale link from '{path}' to '{abs}'");
                        Posix.Unlink(path);
                    }
                    return;
                }
                if (!st2.Value.IsSymlink) return;
                var target2 = new FileInfo(abs).LinkTarget!;
                if (ToStorePath(target2) is not null) Found(roots, abs, target2);
            }
            else if (st.Value.IsRegular)
            {
                // A regular file named like a store path's base name roots that path.
                Found(roots, path, _layout.StoreDir + "/" + Path.GetFileName(path));
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or DirectoryNotFoundException or FileNotFoundException)
        {
            _log($"cannot read potential root '{path}'");
        }
    }

    /// <summary>Store paths that running processes use: executables, working directories, open
    /// files, memory maps and environment variables, read from /proc.</summary>
    public void FindRuntimeRoots(Dictionary<string, HashSet<string>> roots)
    {
        var candidates = new Dictionary<string, string>(StringComparer.Ordinal);
        var pathPattern = new Regex(Regex.Escape(_layout.StoreDir) + @"/[0-9a-z]+[0-9a-zA-Z\+\-\._\?=]*", RegexOptions.CultureInvariant);
        IEnumerable<string> procs;
        try { procs = Directory.EnumerateDirectories("/proc"); }
        catch (IOException) { return; }
        foreach (var proc in procs)
        {
            var pid = Path.GetFileName(proc);
            if (pid.Length == 0 || !pid.All(char.IsAsciiDigit)) continue;
            try
            {
                AddLink(candidates, proc + "/exe");
                AddLink(candidates, proc + "/cwd");
                foreach (var fd in Directory.EnumerateFileSystemEntries(proc + "/fd"))
                    AddLink(candidates, fd);
                foreach (var line in File.ReadLines(proc + "/maps"))
                {
                    var slash = line.IndexOf('/');
                    if (slash >= 0) candidates.TryAdd(line[slash..].TrimEnd(), proc + "/maps");
                }
                var env = File.ReadAllText(proc + "/environ");
                foreach (Match m in pathPattern.Matches(env)) candidates.TryAdd(m.Value, proc + "/environ");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        foreach (var (target, where) in candidates)
        {
            var sp = ToStorePath(target);
            if (sp is not null && _isValid(sp))
            {
                if (!roots.TryGetValue(sp, out var set)) roots[sp] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add("{censored}");
            }
        }
    }

    private static void AddLink(Dictionary<string, string> into, string link)
    {
        try
        {
            var t = new FileInfo(link).LinkTarget;
            if (t is not null && t.StartsWith('/')) into.TryAdd(t, link);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Temporary roots of live processes, by reading temproots/. Files of dead processes
    /// (which no longer hold their lock) are deleted.</summary>
    public HashSet<string> FindTempRoots()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(_layout.TempRootsDir)) return result;
        foreach (var file in Directory.EnumerateFiles(_layout.TempRootsDir))
        {
            var name = Path.GetFileName(file);
            // Our own file: the caller adds its own roots itself (and our own lock would make the
            // file look held by a live process anyway).
            if (name.StartsWith('.') || name == Environment.ProcessId.ToString()) continue;
            FileLock fl;
            try { fl = FileLock.Open(file, create: false); }
            catch (IOException) { continue; } // gone already
            using (fl)
            {
                if (fl.TryLock(write: true))
                {
                    // We got its lock, so its owner is dead.
                    _log($"removing stale temporary roots file '{file}'");
                    Posix.Unlink(file);
                    fl.Write("d"u8);
                    fl.Unlock();
                    continue;
                }
                // Read through our descriptor: its owner holds an exclusive flock on the file, so
                // opening it anew through .NET (which takes a shared flock) would fail.
                var bytes = fl.ReadAll();
                foreach (var root in Encoding.UTF8.GetString(bytes).Split('\0', StringSplitOptions.RemoveEmptyEntries))
                    result.Add(root);
            }
        }
        return result;
    }
}
