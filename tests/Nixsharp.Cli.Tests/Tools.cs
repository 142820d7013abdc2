// Running nixsharp and Nix 2.8 as processes, and scratch stores to run them on.
namespace Nixsharp.Cli.Tests;

using System.Diagnostics;

public sealed record RunResult(int Code, byte[] Stdout, string Stderr)
{
    public string Out => System.Text.Encoding.UTF8.GetString(Stdout);
}

public static class Tools
{
    /// <summary>The nixsharp executable built next to this test assembly (the CLI project is a
    /// project reference, so its apphost is copied here).</summary>
    public static string Nixsharp
    {
        get
        {
            var p = Path.Combine(AppContext.BaseDirectory, "nixsharp");
            if (!File.Exists(p)) throw new InvalidOperationException($"nixsharp executable not found at {p}");
            return p;
        }
    }

    public static RunResult Run(string file, IEnumerable<string> args, string? cwd = null, byte[]? stdin = null,
        IDictionary<string, string>? env = null, int timeoutMs = 120_000)
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
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        var outTask = Task.Run(() =>
        {
            var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            return ms.ToArray();
        });
        if (stdin is not null)
        {
            try { p.StandardInput.BaseStream.Write(stdin); } catch (IOException) { }
        }
        p.StandardInput.Close();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        return new RunResult(p.ExitCode, outTask.Result, errTask.Result);
    }

    public static RunResult Ns(params string[] args) => Run(Nixsharp, args);
    public static RunResult Nix(string tool, params string[] args) => Run(tool, args);

    public static bool NixInstalled => File.Exists("/usr/bin/nix-store");
}

/// <summary>A temporary directory, deleted (read-only store files included) when disposed.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; }

    public TempDir(string prefix = "nixsharp-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // Store directories are read-only (0555): make everything writable, then delete.
        Run("chmod", "-R", "u+w", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void Run(string file, params string[] args) => Tools.Run(file, args);
}
