// Shared by the store database tests: throw-away chroot stores, made-up store paths, and running
// real Nix (the oracle) or this test assembly as a separate process.
namespace Nixsharp.Store.Tests;

using System.Diagnostics;
using System.Security.Cryptography;
using Nixsharp.Formats.Hashes;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

/// <summary>A directory under /tmp holding a chroot store (logical /nix/store), removed afterwards.</summary>
public sealed class TempStoreRoot : IDisposable
{
    public string Root { get; }
    public StoreLayout Layout { get; }

    public TempStoreRoot()
    {
        Root = Path.Combine(Path.GetTempPath(), "nixsharp-db-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Layout = StoreLayout.Chroot(Root);
    }

    /// <summary>A directory for scratch files beside the store.</summary>
    public string Scratch(string name)
    {
        var dir = Path.Combine(Root, "scratch", name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        if (!Directory.Exists(Root)) return;
        // Nix leaves store files and directories read-only.
        foreach (var dir in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories))
            if (new FileInfo(dir).LinkTarget is null) File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        Directory.Delete(Root, recursive: true);
    }
}

public static class TestPaths
{
    /// <summary>A syntactically valid store path with a random hash part.</summary>
    public static string Random(string name, string storeDir = "/nix/store") =>
        storeDir + "/" + NixBase32.Encode(RandomNumberGenerator.GetBytes(20)) + "-" + name;

    public static string RandomNarHash() => ValidPathInfo.FormatNarHash(RandomNumberGenerator.GetBytes(32));

    public static ValidPathInfo Info(string path, params string[] references) => new()
    {
        Path = path,
        NarHash = RandomNarHash(),
        NarSize = 1000 + path.Length,
        References = ValidPathInfo.PathSet(references),
    };
}

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public string Describe() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

public static class Processes
{
    public static ProcessResult Run(string file, IEnumerable<string> args, string? workingDirectory = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} took longer than {timeoutSeconds}s");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs real Nix; fails the test with its output when it fails.</summary>
    public static string Nix(string tool, params string[] args)
    {
        var r = Run(tool, args);
        if (r.ExitCode != 0) throw new Xunit.Sdk.XunitException($"{tool} {string.Join(' ', args)} failed: {r.Describe()}");
        return r.Stdout;
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
