// The settings a run starts from, before its command line: nixsharp's own nix.conf files, read
// in the order Nix reads its own, each later one overriding the earlier:
//   1. the system file, $NIX_CONF_DIR/nix.conf or else /etc/nixsharp/nix.conf;
//   2. the user's files: $NIX_USER_CONF_FILES (colon-separated, the first one winning), or else
//      nixsharp/nix.conf under $XDG_CONFIG_HOME (~/.config) and each of $XDG_CONFIG_DIRS (/etc/xdg);
//   3. the text of $NIX_CONFIG.
// Then `--option NAME VALUE` and the flags, which each command applies after these. Every command
// takes from the list the settings it acts on, through the same setter as its `--option`.
namespace Nixsharp.Cli.Settings;

using Nixsharp.Formats.Config;

public sealed class Configuration
{
    public IReadOnlyList<ConfigEntry> Entries { get; }

    private Configuration(IReadOnlyList<ConfigEntry> entries) { Entries = entries; }

    public static readonly Configuration Empty = new(Array.Empty<ConfigEntry>());

    /// <summary>The system file when NIX_CONF_DIR does not say otherwise.</summary>
    public const string SystemConfDir = "/etc/nixsharp";

    /// <summary>Reads the files the environment points at; prints "warning: unknown setting" for
    /// names no tool knows. A file that cannot be parsed is an error naming it and the line.</summary>
    public static Configuration Load(CliIo io)
    {
        var entries = new List<ConfigEntry>();
        foreach (var file in Files(io.GetEnv))
        {
            var text = ReadIfExists(file);
            if (text is not null) NixConfFile.Parse(text, file, Path.GetDirectoryName(file) ?? "/", ReadIfExists, entries);
        }
        if (io.GetEnv("NIX_CONFIG") is { Length: > 0 } inline)
            NixConfFile.Parse(inline, "NIX_CONFIG", io.WorkingDirectory, ReadIfExists, entries);
        for (int i = 0; i < entries.Count; i++)
            entries[i] = entries[i] with { Name = SettingNames.Canonical(entries[i].Name) };
        // As Nix: each unknown name once, in name order.
        foreach (var unknown in entries.Where(e => !SettingNames.IsKnown(e.Name)).Select(e => e.Name).Distinct().Order(StringComparer.Ordinal))
            io.Err($"warning: unknown setting '{unknown}'\n");
        return new Configuration(entries);
    }

    /// <summary>The configuration files, lowest precedence first.</summary>
    public static IReadOnlyList<string> Files(Func<string, string?> getEnv)
    {
        var files = new List<string>
        {
            Path.Combine(getEnv("NIX_CONF_DIR") is { Length: > 0 } dir ? dir : SystemConfDir, "nix.conf"),
        };
        List<string> user;
        if (getEnv("NIX_USER_CONF_FILES") is { Length: > 0 } list)
            user = list.Split(':', StringSplitOptions.RemoveEmptyEntries).ToList();
        else
        {
            var home = getEnv("HOME") ?? "/";
            var configHome = getEnv("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".config");
            var configDirs = getEnv("XDG_CONFIG_DIRS") is { Length: > 0 } d ? d.Split(':', StringSplitOptions.RemoveEmptyEntries) : ["/etc/xdg"];
            user = [.. new[] { configHome }.Concat(configDirs).Select(c => Path.Combine(c, "nixsharp", "nix.conf"))];
        }
        // The first user file has the last word.
        user.Reverse();
        files.AddRange(user);
        return files;
    }

    /// <summary>Applies the entries `wants` accepts through `set` (a command's `--option` setter),
    /// in order; a value the setter refuses is reported with the file and line it came from.</summary>
    public void Apply(Func<string, bool> wants, Action<string, string> set)
    {
        foreach (var e in Entries)
        {
            if (!wants(e.Name)) continue;
            try
            {
                set(e.Name, e.Value);
            }
            catch (UsageException x)
            {
                throw new UsageException($"{x.Message} (set in '{e.Origin}' line {e.Line})");
            }
        }
    }

    private static string? ReadIfExists(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigFileException($"cannot read configuration file '{path}': {e.Message}");
        }
    }
}
