// Copying over ssh:// for `nixsharp copy` and `nixsharp copy-closure`: resolves the paths, opens the
// session (ssh with NIX_SSHOPTS, as Nix), copies, shows progress on stderr and a --json summary.
namespace Nixsharp.Cli.Commands.Remote;

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Nixsharp.Cli.Commands.Store;
using Nixsharp.Cli.Glue;
using Nixsharp.Remote;
using Nixsharp.Remote.Ssh;
using Nixsharp.Store.Local;

public static class SshCopyCommand
{
    public sealed record Request(string Url, bool ToRemote, string? StoreUri, string[] Paths, bool Json,
        bool IncludeOutputs = false, bool Substitute = false, Nixsharp.Formats.Signing.TrustedKeys? TrustedForImport = null);

    public static int Run(CliIo io, Request r)
    {
        SshStoreUrl url;
        try { url = SshStoreUrl.Parse(r.Url); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (r.Paths.Length == 0) throw new UsageException("no store paths given");
        using var store = StoreOpener.Open(r.StoreUri, io);
        List<string> roots;
        if (r.ToRemote)
        {
            roots = r.Paths.Select(a => StoreCommand.FollowLinksToStorePath(store, a, io)).Distinct().ToList();
            foreach (var p in roots) store.QueryValidPathInfo(p);
        }
        else roots = r.Paths.Select(a => store.ParseStorePath(Path.GetFullPath(a, io.WorkingDirectory))).Distinct().ToList();

        var progress = new CopyProgressPrinter(io, url.Display, r.ToRemote);
        var clock = Stopwatch.StartNew();
        using var remote = ServeClient.Connect(url, write: r.ToRemote, io.GetEnv("NIX_SSHOPTS"));
        var result = r.ToRemote
            ? SshCopy.CopyTo(store, remote, roots, r.IncludeOutputs, r.Substitute, progress)
            : SshCopy.CopyFrom(remote, store, roots, r.IncludeOutputs, progress, r.TrustedForImport);
        remote.Close();
        progress.Finish(result.Copied.Count, result.Bytes, result.AlreadyPresent, clock.Elapsed);
        if (r.Json) io.Out(StoreCommand.Encode(Json(result, clock.Elapsed)) + "\n");
        return 0;
    }

    private static string Json(CopyResult result, TimeSpan elapsed)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("copied");
            foreach (var p in result.Copied) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteNumber("pathsCopied", result.Copied.Count);
            w.WriteNumber("bytes", result.Bytes);
            w.WriteNumber("alreadyPresent", result.AlreadyPresent);
            w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
            // Requests per serve command: the round trips a copy made (QueryValidPaths is one).
            w.WriteStartObject("requests");
            foreach (var (cmd, n) in result.Requests.OrderBy(kv => kv.Key)) w.WriteNumber(cmd.ToString(), n);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
