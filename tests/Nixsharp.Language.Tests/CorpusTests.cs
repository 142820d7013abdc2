// The differential corpus: every tests/corpus case evaluated by nixsharp must print exactly what
// Nix 2.8 printed (the golden files), and Nix 2.8 itself must still agree with the golden files.
namespace Nixsharp.Language.Tests;

using System.Diagnostics;
using System.Text;
using Nixsharp.Cli;
using Xunit;

public sealed class CorpusCase
{
    public required string Name { get; init; }   // area/name
    public required string Dir { get; init; }
    public required string File { get; init; }
    public required string[] Args { get; init; }
    public string? ExpectedStdout { get; init; }
    public string? ExpectedStderr { get; init; }
    public bool ExpectFailure { get; init; }
    public override string ToString() => Name;
}

public static class Corpus
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "corpus"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new InvalidOperationException("tests/corpus not found"), "tests", "corpus");
    }

    private static string Latin1(byte[] b) => Encoding.Latin1.GetString(b);
    private static string? ReadGolden(string path) =>
        System.IO.File.Exists(path) ? Latin1(System.IO.File.ReadAllBytes(path)).Replace("@CORPUS@", Root) : null;

    /// <summary>Every case, read from disk once (tests look cases up by name many times).</summary>
    public static IReadOnlyList<CorpusCase> Cases() => AllCases.Value;

    private static readonly Lazy<IReadOnlyList<CorpusCase>> AllCases = new(() => ReadCases().ToList());

    private static IEnumerable<CorpusCase> ReadCases()
    {
        foreach (var file in Directory.EnumerateFiles(Root, "*.nix", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(Root, file);
            if (rel.Split(Path.DirectorySeparatorChar).Contains("fixtures")) continue;
            var stem = file[..^4];
            var flagsPath = stem + ".flags";
            var flags = System.IO.File.Exists(flagsPath)
                ? System.IO.File.ReadAllText(flagsPath).Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)
                : ["--eval", "--strict"];
            var exp = ReadGolden(stem + ".exp");
            var err = ReadGolden(stem + ".err");
            yield return new CorpusCase
            {
                Name = rel[..^4],
                Dir = Path.GetDirectoryName(file)!,
                File = Path.GetFileName(file),
                Args = [.. flags, Path.GetFileName(file)],
                ExpectedStdout = exp,
                ExpectedStderr = err ?? ReadGolden(stem + ".stderr") ?? "",
                ExpectFailure = exp is null,
            };
        }
    }

    /// <summary>Cases listed in known-divergences.txt, with the written reason for each.</summary>
    public static Dictionary<string, string> KnownDivergences { get; } = LoadKnown();

    private static Dictionary<string, string> LoadKnown()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in System.IO.File.ReadAllLines(Path.Combine(Root, "known-divergences.txt")))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int hash = line.IndexOf('#');
            var name = (hash < 0 ? line : line[..hash]).Trim();
            var reason = hash < 0 ? "" : line[(hash + 1)..].Trim();
            if (reason.Length == 0) throw new InvalidOperationException($"known-divergences.txt: '{name}' has no reason");
            d[name] = reason;
        }
        return d;
    }

    public static IEnumerable<object[]> Names() =>
        Cases().Where(c => !KnownDivergences.ContainsKey(c.Name)).Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> KnownNames() => KnownDivergences.Keys.Select(n => new object[] { n });

    /// <summary>Divergences that exist only because overflow is an error by default.</summary>
    public static IEnumerable<object[]> OverflowNames() =>
        KnownDivergences.Where(k => k.Value.StartsWith("intentional: integer overflow", StringComparison.Ordinal))
            .Select(k => new object[] { k.Key });

    public static IEnumerable<object[]> AllNames() => Cases().Select(c => new object[] { c.Name });
    public static CorpusCase Get(string name) => Cases().First(c => c.Name == name);

    public static string? EnvFor(string name) => name switch
    {
        "NIX_PATH" => "",
        "HOME" => "/homeless",
        "NIX_CONFIG" => "substituters =",
        _ => null,
    };
}

public class CorpusTests
{
    /// <summary>Runs nixsharp in-process on a large stack, as the real binary does.</summary>
    public static (int Code, string Stdout, string Stderr) RunNixsharp(string[] args, string cwd, Func<string, string?> env)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        // The golden files come from running nix-instantiate by that name.
        var io = new CliIo(stdout, stderr, env, cwd) { InstantiateName = "nix-instantiate" };
        int code = -1;
        var t = new Thread(() => code = Cli.Run(["instantiate", .. args], io), 256 * 1024 * 1024);
        t.Start();
        if (!t.Join(TimeSpan.FromSeconds(60))) throw new TimeoutException("evaluation did not finish within 60 s");
        return (code, Encoding.Latin1.GetString(stdout.ToArray()), Encoding.Latin1.GetString(stderr.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Corpus.Names), MemberType = typeof(Corpus))]
    public void MatchesNix28(string name) => AssertMatches(Corpus.Get(name));

    [Theory]
    [MemberData(nameof(Corpus.KnownNames), MemberType = typeof(Corpus))]
    public void KnownDivergencesStillDiverge(string name)
    {
        var c = Corpus.Cases().FirstOrDefault(x => x.Name == name);
        Assert.True(c is not null, $"known-divergences.txt names '{name}', which is not a corpus case");
        var ex = Record.Exception(() => AssertMatches(c!));
        Assert.True(ex is not null, $"'{name}' now matches Nix 2.8: remove it from tests/corpus/known-divergences.txt");
    }

    [Theory]
    [MemberData(nameof(Corpus.OverflowNames), MemberType = typeof(Corpus))]
    public void OverflowCasesMatchNix28WithWrapping(string name)
    {
        var c = Corpus.Get(name);
        AssertMatches(new CorpusCase
        {
            Name = c.Name, Dir = c.Dir, File = c.File, ExpectedStdout = c.ExpectedStdout,
            ExpectedStderr = c.ExpectedStderr, ExpectFailure = c.ExpectFailure,
            Args = ["--wrap-integer-overflow", .. c.Args],
        });
    }

    private static void AssertMatches(CorpusCase c)
    {
        var (code, stdout, stderr) = RunNixsharp(c.Args, c.Dir, Corpus.EnvFor);
        if (c.ExpectFailure)
        {
            Assert.NotEqual(0, code);
            Assert.Equal(c.ExpectedStderr, stderr);
        }
        else
        {
            Assert.True(code == 0, $"exit code {code}, stderr:\n{stderr}");
            Assert.Equal(c.ExpectedStdout, stdout);
            Assert.Equal(c.ExpectedStderr, stderr);
        }
    }
}

/// <summary>Guards the golden files themselves: Nix 2.8 must still print exactly them.</summary>
public class CorpusOracleTests
{
    [Theory]
    [MemberData(nameof(Corpus.AllNames), MemberType = typeof(Corpus))]
    public async Task GoldenFilesMatchNixInstantiate(string name)
    {
        var c = Corpus.Get(name);
        // Run by bare name, as the golden files were made: Nix's usage hints quote argv[0].
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => d.Length > 0 && System.IO.File.Exists(Path.Combine(d, "nix-instantiate")));
        Assert.True(onPath, "nix-instantiate 2.8 is required on PATH (apt-get install nix-bin); scripts/test.sh installs it");
        var psi = new ProcessStartInfo("nix-instantiate") { WorkingDirectory = c.Dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in c.Args) psi.ArgumentList.Add(a);
        psi.Environment["NIX_PATH"] = "";
        psi.Environment["HOME"] = "/homeless";
        using var p = Process.Start(psi)!;
        var so = new MemoryStream();
        var se = new MemoryStream();
        var t1 = p.StandardOutput.BaseStream.CopyToAsync(so);
        var t2 = p.StandardError.BaseStream.CopyToAsync(se);
        await p.WaitForExitAsync();
        await t1;
        await t2;
        var stdout = Encoding.Latin1.GetString(so.ToArray());
        var stderr = Encoding.Latin1.GetString(se.ToArray());
        if (c.ExpectFailure)
        {
            Assert.NotEqual(0, p.ExitCode);
            Assert.Equal(c.ExpectedStderr, stderr);
        }
        else
        {
            Assert.Equal(0, p.ExitCode);
            Assert.Equal(c.ExpectedStdout, stdout);
        }
    }
}
