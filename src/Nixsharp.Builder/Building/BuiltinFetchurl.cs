// The builtin:fetchurl builder (what <nix/fetchurl.nix> makes): run inside nixsharp rather than as
// a process. It downloads `url` into $out; with `unpack` the download is a NAR (xz-compressed when
// the URL ends in .xz) restored at $out; with `executable` the file is made executable. The usual
// fixed-output hash check follows in OutputRegistration. In a sandboxed build Nix runs this in the
// sandbox, so a file:// URL sees only the sandbox's paths: the same paths are readable here.
namespace Nixsharp.Builder.Building;

using System.Diagnostics;
using System.Text;
using Nixsharp.Builder.Linux;
using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.Nar;
using Nixsharp.Store.Fetching;

internal static class BuiltinFetchurl
{
    /// <summary>Fetches into `outPath` (a real path that does not exist yet). Failures are
    /// FetchException or IOException with the message for the build log.</summary>
    public static void Run(Derivation drv, string outPath, IReadOnlyList<SandboxPath>? sandboxPaths, Action<string> warn)
    {
        string Attr(string name) => drv.Env.TryGetValue(name, out var v)
            ? v : throw new FetchException($"attribute '{name}' missing");
        var url = Attr("url");
        bool unpack = drv.Env.GetValueOrDefault("unpack") == "1";
        bool executable = drv.Env.GetValueOrDefault("executable") == "1";
        var options = new DownloadOptions
        {
            // The hash of the result is checked anyway.
            VerifyTls = false,
            Decompress = false,
            Warn = warn,
            MapLocalPath = sandboxPaths is null ? null : path => MapIntoSandbox(path, sandboxPaths),
        };

        if (unpack)
        {
            var download = outPath + ".download";
            try
            {
                using (var f = new FileStream(download, FileMode.CreateNew, FileAccess.ReadWrite))
                    Downloader.Download(url, f, options);
                if (url.EndsWith(".xz", StringComparison.Ordinal)) Unxz(download, download + ".nar");
                using (var nar = File.OpenRead(url.EndsWith(".xz", StringComparison.Ordinal) ? download + ".nar" : download))
                    NarRestorer.Restore(nar, outPath);
            }
            finally
            {
                File.Delete(download);
                File.Delete(download + ".nar");
            }
        }
        else
        {
            using var f = new FileStream(outPath, FileMode.CreateNew, FileAccess.Write);
            Downloader.Download(url, f, options);
        }
        if (executable)
            File.SetUnixFileMode(outPath, (UnixFileMode)0b111_101_101);
    }

    /// <summary>The host file a path in the sandbox is, through the sandbox-paths; null when the
    /// sandbox does not show it.</summary>
    private static string? MapIntoSandbox(string path, IReadOnlyList<SandboxPath> sandboxPaths)
    {
        SandboxPath? best = null;
        foreach (var p in sandboxPaths)
        {
            bool under = path == p.Target || path.StartsWith(p.Target.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (under && (best is null || p.Target.Length > best.Target.Length)) best = p;
        }
        return best is null ? null : best.Source + path.Substring(best.Target.Length);
    }

    /// <summary>Decompresses an xz file with the system's xz (.NET has no xz decoder).</summary>
    private static void Unxz(string file, string output)
    {
        var psi = new ProcessStartInfo("xz") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-d", "-c", file }) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new FetchException($"cannot decompress '{file}': running 'xz' failed ({e.Message})"); }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            using (var f = new FileStream(output, FileMode.CreateNew, FileAccess.Write)) p.StandardOutput.BaseStream.CopyTo(f);
            p.WaitForExit();
            if (p.ExitCode != 0) throw new FetchException($"error decompressing xz data: {err.Result.Trim()}");
        }
    }

    public static byte[] ErrorLine(string message) => Encoding.UTF8.GetBytes("error: " + message.Replace("\n", "\n       ") + "\n");
}
