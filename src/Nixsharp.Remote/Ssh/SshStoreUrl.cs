// `ssh://[user@]host[:port][?remote-program=…&remote-store=…&ssh-key=…&compress=true]`: a store on
// another machine reached through the system's ssh client, as Nix's legacy SSH store names it.
namespace Nixsharp.Remote.Ssh;

public sealed record SshStoreUrl
{
    public const string Scheme = "ssh://";

    /// <summary>The URL as given (for messages).</summary>
    public required string Text { get; init; }
    /// <summary>What ssh is told to connect to: "host" or "user@host" (an ssh_config alias works).</summary>
    public required string Destination { get; init; }
    public int? Port { get; init; }
    /// <summary>The program run on the remote host (through its shell) with "--serve".</summary>
    public string RemoteProgram { get; init; } = "nix-store";
    /// <summary>The store the remote program opens (its --store), or null for its default.</summary>
    public string? RemoteStore { get; init; }
    public string? SshKey { get; init; }
    public bool Compress { get; init; }

    public static bool IsSshUrl(string url) => url.StartsWith(Scheme, StringComparison.Ordinal);

    /// <summary>Parses an ssh:// URL; a bad one is an ArgumentException whose message names it.</summary>
    public static SshStoreUrl Parse(string url)
    {
        if (!IsSshUrl(url)) throw new ArgumentException($"'{url}' is not an ssh:// URL");
        var rest = url.Substring(Scheme.Length);
        string? query = null;
        var q = rest.IndexOf('?');
        if (q >= 0) { query = rest[(q + 1)..]; rest = rest[..q]; }
        rest = rest.TrimEnd('/');
        if (rest.Length == 0) throw new ArgumentException($"'{url}' names no host (expected ssh://[user@]host[:port])");

        string? user = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0) { user = rest[..at]; rest = rest[(at + 1)..]; }
        string host = rest;
        int? port = null;
        if (rest.StartsWith('['))
        {
            // [IPv6]:port
            var close = rest.IndexOf(']');
            if (close < 0) throw new ArgumentException($"'{url}': unterminated '[' in the host");
            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') throw new ArgumentException($"'{url}': unexpected '{after}' after the host");
                port = ParsePort(after[1..], url);
            }
        }
        else if (rest.LastIndexOf(':') is var colon and >= 0)
        {
            host = rest[..colon];
            port = ParsePort(rest[(colon + 1)..], url);
        }
        CheckWord(host, "host", url);
        if (user is not null) CheckWord(user, "user", url);

        var result = new SshStoreUrl { Text = url, Destination = user is null ? host : user + "@" + host, Port = port };
        if (query is null) return result;
        foreach (var kv in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = kv.IndexOf('=');
            var key = eq < 0 ? kv : kv[..eq];
            var value = eq < 0 ? "" : Uri.UnescapeDataString(kv[(eq + 1)..]);
            result = key switch
            {
                "remote-program" => result with { RemoteProgram = value.Length > 0 ? value : throw new ArgumentException($"'{url}': remote-program is empty") },
                "remote-store" => result with { RemoteStore = value.Length > 0 ? value : null },
                "ssh-key" => result with { SshKey = value },
                "compress" => result with { Compress = value is "true" or "1" },
                // Accepted as Nix accepts them; one connection at a time is what nixsharp uses.
                "max-connections" or "trusted" => result,
                _ => throw new ArgumentException($"'{url}': unknown setting '{key}' (known: remote-program, remote-store, ssh-key, compress)"),
            };
        }
        return result;
    }

    private static int ParsePort(string text, string url)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"'{url}': '{text}' is not a port number");
        return port;
    }

    /// <summary>Host and user go to ssh as arguments: nothing that ssh could read as an option, and
    /// no spaces or control characters.</summary>
    private static void CheckWord(string word, string what, string url)
    {
        if (word.Length == 0) throw new ArgumentException($"'{url}': the {what} is empty");
        if (word[0] == '-') throw new ArgumentException($"'{url}': the {what} '{word}' starts with '-'");
        foreach (var c in word)
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '\'' or '"' or '\\' or '`' or '$' or ';' or '|' or '&')
                throw new ArgumentException($"'{url}': the {what} '{word}' contains '{c}'");
    }

    /// <summary>The URL without its settings, for messages ("ssh://host").</summary>
    public string Display => Scheme + Destination + (Port is { } p ? ":" + p : "");
}
