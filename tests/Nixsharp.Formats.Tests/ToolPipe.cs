// Runs a command-line tool (bzip2, xz) as a filter: the bytes given on its standard input, what it
// writes on its standard output back, and it must succeed.
namespace Nixsharp.Formats.Tests;

using System.Diagnostics;
using Xunit;

internal static class ToolPipe
{
    public static byte[] Run(string tool, string args, byte[] input)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        // Read while writing: a tool's output can fill the pipe before it has read all its input.
        var output = Task.Run(() => { var ms = new MemoryStream(); p.StandardOutput.BaseStream.CopyTo(ms); return ms.ToArray(); });
        p.StandardInput.BaseStream.Write(input);
        p.StandardInput.Close();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output.Result;
    }
}
