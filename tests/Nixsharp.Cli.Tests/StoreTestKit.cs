// Shared machinery of the store end-to-end tests: chroot stores and what their database and
// directories hold, generated inputs (file trees, chains of derivations), consistency checks with
// nixsharp's and Nix's verify, and processes that can be killed or watched while they run.
namespace Nixsharp.Cli.Tests;

using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Nixsharp.Store.Local;
using Xunit;

/// <summary>A chroot store (`--store Root`): logical paths /nix/store/..., files under Root.</summary>
public sealed record TestStore(string Root)
{
    public const string StoreDir = "/nix/store";
    public string RealStoreDir => Root + StoreDir;
    public string StateDir => Root + "/nix/var/nix";
    public string DbFile => StateDir + "/db/db.sqlite";
    public string TempRootsDir => StateDir + "/temproots";
    public string GcRootsDir => StateDir + "/gcroots";
    public string Real(string storePath) => Root + storePath;

    /// <summary>Opens the database as a plain SQLite client (no pooling, so nothing stays open).</summary>
    public SqliteConnection OpenDb()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = DbFile, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 60,
        }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "pragma busy_timeout = 60000";
        cmd.ExecuteNonQuery();
        return c;
    }

    /// <summary>Whether the database exists with its tables (a process killed while creating
    /// the store can leave an empty db.sqlite).</summary>
    public bool HasSchema
    {
        get
        {
            if (!File.Exists(DbFile)) return false;
            using var db = OpenDb();
            return Column(db, "select name from sqlite_master where name = 'ValidPaths'").Count == 1;
        }
    }

    /// <summary>The registered paths (each row's path column, sorted; duplicates kept, so that a
    /// caller can check there are none).</summary>
    public List<string> ValidPaths()
    {
        if (!HasSchema) return new List<string>();
        using var db = OpenDb();
        return Column(db, "select path from ValidPaths order by path");
    }

    public bool IsValid(string storePath) => ValidPaths().Contains(storePath);

    /// <summary>Everything the database says, one line per row, in a fixed order: valid paths with
    /// hash, size, content address and deriver; references; derivation outputs.</summary>
    public string DbText()
    {
        if (!HasSchema) return "(no database)\n";
        using var db = OpenDb();
        var sb = new StringBuilder();
        foreach (var row in Column(db, "select path || ' ' || hash || ' ' || coalesce(narSize, 0) || ' ' || coalesce(ca, '-') || ' ' || coalesce(deriver, '-') from ValidPaths order by path"))
            sb.Append("path ").Append(row).Append('\n');
        foreach (var row in Column(db, "select a.path || ' -> ' || b.path from Refs join ValidPaths a on referrer = a.id join ValidPaths b on reference = b.id order by 1"))
            sb.Append("ref ").Append(row).Append('\n');
        foreach (var row in Column(db, "select v.path || '!' || o.id || ' ' || o.path from DerivationOutputs o join ValidPaths v on o.drv = v.id order by 1"))
            sb.Append("out ").Append(row).Append('\n');
        return sb.ToString();
    }

    private static List<string> Column(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    /// <summary>Every file under the store directory and the temporary-roots and GC-roots
    /// directories, with type, permissions, size and link target: what "the store is untouched"
    /// compares.</summary>
    public string FilesText()
    {
        var sb = new StringBuilder();
        foreach (var dir in new[] { RealStoreDir, TempRootsDir, GcRootsDir })
            ListTree(dir, dir.Substring(Root.Length), sb);
        return sb.ToString();
    }

    private static void ListTree(string real, string shown, StringBuilder sb)
    {
        var file = new FileInfo(real);
        if (file.LinkTarget is { } target) { sb.Append(shown).Append(" -> ").Append(target).Append('\n'); return; }
        if (Directory.Exists(real))
        {
            sb.Append(shown).Append(" dir ").Append(Convert.ToString((int)File.GetUnixFileMode(real), 8)).Append('\n');
            foreach (var e in Directory.EnumerateFileSystemEntries(real).Order(StringComparer.Ordinal))
                ListTree(e, shown + "/" + Path.GetFileName(e), sb);
        }
        else if (file.Exists)
            sb.Append(shown).Append(" file ").Append(Convert.ToString((int)file.UnixFileMode, 8)).Append(' ').Append(file.Length).Append('\n');
        else sb.Append(shown).Append(" (absent)\n");
    }

    /// <summary>Whether anything (a dangling symlink included) is at `path`.</summary>
    public static bool Exists(string path) => new FileInfo(path).LinkTarget is not null || Path.Exists(path);

    /// <summary>Database rows and files together.</summary>
    public string Snapshot() => DbText() + FilesText();

    /// <summary>Names in the store directory that are not valid store paths' base names, other
    /// than Nix's .links directory (leftovers of interrupted writers, lock files, temporary imports).</summary>
    public List<string> StrayEntries()
    {
        if (!Directory.Exists(RealStoreDir)) return new List<string>();
        var valid = ValidPaths().Select(p => p.Substring(StoreDir.Length + 1)).ToHashSet(StringComparer.Ordinal);
        return Directory.EnumerateFileSystemEntries(RealStoreDir).Select(Path.GetFileName).OfType<string>()
            .Where(n => n != ".links" && !valid.Contains(n)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The NAR hash of what is on disk at a store path, in the database's notation.</summary>
    public string HashOnDisk(string storePath) =>
        "sha256:" + Convert.ToHexStringLower(LocalStore.HashNar(Real(storePath)).Hash);

    /// <summary>Checks in-process what `verify --check-contents` checks: every valid path exists
    /// with the recorded NAR hash. Cheaper than the two verify processes, for use between them.</summary>
    public void AssertContentsMatchDb(string context)
    {
        if (!HasSchema) return;
        using var db = OpenDb();
        foreach (var row in Column(db, "select path || ' ' || hash from ValidPaths"))
        {
            var sp = row.Split(' ');
            Assert.True(Exists(Real(sp[0])), $"{context}: valid path {sp[0]} is missing on disk");
            Assert.True(sp[1] == HashOnDisk(sp[0]), $"{context}: valid path {sp[0]} does not have its recorded NAR hash");
        }
    }

    /// <summary>`nixsharp store verify --check-contents` and `nix-store --verify --check-contents`
    /// both succeed and report nothing wrong (nixsharp's first: Nix's may repair things quietly).</summary>
    public void AssertVerifies(string context)
    {
        if (!File.Exists(DbFile)) return; // nothing was ever registered: nothing to verify
        var ours = Tools.Ns("store", "verify", "--check-contents", "--store", Root);
        Assert.True(ours.Code == 0 && !ReportsProblems(ours.Stderr),
            $"{context}: nixsharp store verify --check-contents failed ({ours.Code}):\n{ours.Stderr}");
        if (!Tools.NixInstalled) return;
        var theirs = Tools.Nix("nix-store", "--store", Root, "--verify", "--check-contents");
        Assert.True(theirs.Code == 0 && !ReportsProblems(theirs.Stderr),
            $"{context}: nix-store --verify --check-contents failed ({theirs.Code}):\n{theirs.Stderr}");
    }

    private static bool ReportsProblems(string stderr) =>
        stderr.Split('\n').Any(l => l.StartsWith("error", StringComparison.Ordinal) || l.StartsWith("warning", StringComparison.Ordinal)
                                    || l.Contains("disappeared", StringComparison.Ordinal) || l.Contains("modified", StringComparison.Ordinal)
                                    || l.Contains("updating", StringComparison.Ordinal));

    /// <summary>Deletes the whole store (read-only directories included).</summary>
    public void Delete() => StoreFiles.DeleteTree(Root);
}

/// <summary>Pausing and resuming processes (SIGSTOP/SIGCONT), through the shell's kill.</summary>
public static class Signals
{
    public static void Stop(int pid) => Send(pid, "STOP");
    public static void Continue(int pid) => Send(pid, "CONT");

    private static void Send(int pid, string signal)
    {
        var r = Tools.Run("/bin/sh", ["-c", $"kill -{signal} {pid}"]);
        if (r.Code != 0) throw new InvalidOperationException($"kill -{signal} {pid} failed: {r.Stderr}");
    }
}

/// <summary>Inputs the store tests add: file trees and Nix expressions, generated at run time.</summary>
public static class Inputs
{
    /// <summary>A tree of `dirs` directories with `filesPerDir` small files each, a symlink, an
    /// executable, and one file of `bigBytes` pseudo-random bytes; the same seed gives the same tree.</summary>
    public static string MakeTree(string path, int dirs, int filesPerDir, int bigBytes, int seed)
    {
        Directory.CreateDirectory(path);
        var rng = new Random(seed);
        for (int d = 0; d < dirs; d++)
        {
            var dir = Path.Combine(path, $"d{d:D3}");
            Directory.CreateDirectory(dir);
            for (int f = 0; f < filesPerDir; f++)
                File.WriteAllText(Path.Combine(dir, $"f{f:D3}"), $"tree {seed} dir {d} file {f} {rng.Next()}\n");
        }
        var big = new byte[bigBytes];
        rng.NextBytes(big);
        File.WriteAllBytes(Path.Combine(path, "big"), big);
        File.CreateSymbolicLink(Path.Combine(path, "link"), "d000/f000");
        var exe = Path.Combine(path, "run.sh");
        File.WriteAllText(exe, $"#!/bin/sh\necho {seed}\n");
        File.SetUnixFileMode(exe, (UnixFileMode)0b111_101_101);
        return path;
    }

    /// <summary>A directory with default.nix: a chain of `n` derivations, each with its own
    /// builtins.toFile text that refers to the previous text, the previous derivation, a source
    /// directory and one of ten source files. `salt` varies every path (it is part of every
    /// text). Instantiating it writes 2n + 11 store paths.</summary>
    public static string MakeChainExpression(string dir, int n, string salt = "")
    {
        Directory.CreateDirectory(Path.Combine(dir, "src", "sub"));
        for (int i = 0; i < 10; i++) File.WriteAllText(Path.Combine(dir, "src", $"f{i}"), $"source {i} {salt}\n");
        File.WriteAllText(Path.Combine(dir, "src", "sub", "g"), $"nested {salt}\n");
        File.WriteAllText(Path.Combine(dir, "default.nix"), $$"""
            let
              n = {{n}};
              salt = "{{salt}}";
              text = i: prev: builtins.toFile "text-${toString i}" "text ${toString i} ${salt} follows ${prev}\n";
              step = acc: i:
                let t = text i acc.text;
                in {
                  text = t;
                  drv = derivation {
                    name = "step-${toString i}";
                    system = "x86_64-linux";
                    builder = "/bin/sh";
                    args = [ "-c" "echo ${t} ${acc.drv} > $out" ];
                    src = ./src;
                    file = ./src + "/f${toString (i - (i / 10) * 10)}";
                  };
                };
            in (builtins.foldl' step { text = ""; drv = ""; } (builtins.genList (x: x) n)).drv
            """);
        return dir;
    }
}

/// <summary>A process started in the background whose output is collected as it comes, and which
/// can be killed (SIGKILL) or waited for; stderr lines can be awaited as they arrive.</summary>
public sealed class RunningProcess : IDisposable
{
    private readonly Process _p;
    private readonly Task<byte[]> _stdout;
    private readonly Task _stderrPump;
    private readonly List<string> _stderrLines = new();
    private readonly StringBuilder _stderr = new();

    public int Pid => _p.Id;
    public Stream Stdin => _p.StandardInput.BaseStream;

    private RunningProcess(Process p)
    {
        _p = p;
        // Dedicated threads: many processes' blocking pumps would starve the thread pool.
        _stdout = Task.Factory.StartNew(() =>
        {
            var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            return ms.ToArray();
        }, TaskCreationOptions.LongRunning);
        _stderrPump = Task.Factory.StartNew(() =>
        {
            while (p.StandardError.ReadLine() is { } line)
                lock (_stderrLines)
                {
                    _stderrLines.Add(line);
                    _stderr.Append(line).Append('\n');
                    Monitor.PulseAll(_stderrLines);
                }
            lock (_stderrLines) { _stderrClosed = true; Monitor.PulseAll(_stderrLines); }
        }, TaskCreationOptions.LongRunning);
    }

    private bool _stderrClosed;

    public static RunningProcess Start(string file, IEnumerable<string> args, string? cwd = null, bool keepStdinOpen = false,
        IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NIX_PATH"] = "";
        psi.Environment["HOME"] = "/homeless";
        // No network here: builds must not ask cache.nixos.org (nixsharp's and Nix's default substituter).
        psi.Environment["NIX_CONFIG"] = "substituters =";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        if (!keepStdinOpen) p.StandardInput.Close();
        return new RunningProcess(p);
    }

    public static RunningProcess Ns(params string[] args) => Start(Tools.Nixsharp, args);

    /// <summary>True once the process has exited (waiting at most `ms`).</summary>
    public bool WaitForExit(int ms) => _p.WaitForExit(ms);

    public bool HasExited => _p.HasExited;

    /// <summary>SIGKILL, as a crash or power cut would stop it: no handler, no cleanup.</summary>
    public void Kill()
    {
        try { _p.Kill(entireProcessTree: false); } catch (InvalidOperationException) { } // already gone
        _p.WaitForExit();
    }

    /// <summary>Waits until a line of stderr matches; false if the process closed stderr first or
    /// `timeoutMs` (a bound against hanging, not a synchronisation) passed.</summary>
    public bool WaitForStderr(Func<string, bool> match, int timeoutMs = 60_000, int count = 1)
    {
        var deadline = Stopwatch.StartNew();
        lock (_stderrLines)
        {
            while (true)
            {
                if (_stderrLines.Count(match) >= count) return true;
                if (_stderrClosed) return false;
                var left = timeoutMs - (int)deadline.ElapsedMilliseconds;
                if (left <= 0) return false;
                Monitor.Wait(_stderrLines, left);
            }
        }
    }

    public string StderrSoFar { get { lock (_stderrLines) return _stderr.ToString(); } }

    /// <summary>Waits for the process to finish and returns what it printed.</summary>
    public RunResult Finish(int timeoutMs = 120_000)
    {
        if (!_p.WaitForExit(timeoutMs))
        {
            Kill();
            throw new TimeoutException($"process {_p.Id} did not finish in {timeoutMs} ms; stderr so far:\n{StderrSoFar}");
        }
        _p.WaitForExit(); // lets the output pumps reach the end
        _stderrPump.Wait();
        return new RunResult(_p.ExitCode, _stdout.Result, StderrSoFar);
    }

    public void Dispose()
    {
        if (!_p.HasExited) Kill();
        _p.Dispose();
    }
}
