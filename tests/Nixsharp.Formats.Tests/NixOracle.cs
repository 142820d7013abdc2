// Runs the real Nix 2.8 commands that the tests compare against.
namespace Nixsharp.Formats.Tests;

using System.Diagnostics;

internal static class NixOracle
{
    public static (string Stdout, string Stderr, int Code) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NIX_PATH"] = "";
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (stdout, errTask.Result, p.ExitCode);
    }

    /// <summary>The lines a successful command printed.</summary>
    public static string[] Lines(string file, params string[] args)
    {
        var (stdout, stderr, code) = Run(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The message of the error a failing command printed (first line, without "error: ").</summary>
    public static string Error(string file, params string[] args)
    {
        var (_, stderr, code) = Run(file, args);
        if (code == 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} succeeded");
        var first = stderr.Split('\n')[0];
        return first.StartsWith("error: ", StringComparison.Ordinal) ? first["error: ".Length..] : first;
    }
}
