// The sandbox-paths setting: host paths bind-mounted into the sandbox, as `path`,
// `target=source`, either with a trailing `?` for "only if it exists". Checked before anything is
// built: both sides must be absolute and free of `..`, so that a mapping cannot reach outside what
// it names (Nix 2.8 does not check this; a mapping such as `/bin/../etc=/etc` is refused here).
namespace Nixsharp.Builder;

/// <summary>One host path in the sandbox: Source on the host appears at Target inside.</summary>
public sealed record SandboxPath(string Target, string Source, bool Optional);

public static class SandboxPaths
{
    /// <summary>Parses a whitespace-separated sandbox-paths value.</summary>
    /// <exception cref="FormatException">An entry is not an absolute path without '..'.</exception>
    public static List<SandboxPath> Parse(string value)
    {
        var result = new List<SandboxPath>();
        foreach (var raw in value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var entry = raw;
            bool optional = false;
            if (entry.EndsWith('?')) { optional = true; entry = entry[..^1]; }
            var eq = entry.IndexOf('=');
            var target = eq < 0 ? entry : entry[..eq];
            var source = eq < 0 ? entry : entry[(eq + 1)..];
            Check(raw, target);
            Check(raw, source);
            result.Add(new SandboxPath(Normalise(target), Normalise(source), optional));
        }
        return result;
    }

    private static void Check(string entry, string path)
    {
        if (!path.StartsWith('/'))
            throw new FormatException($"sandbox path '{entry}' is not absolute");
        foreach (var part in path.Split('/'))
            if (part == "..")
                throw new FormatException($"sandbox path '{entry}' contains '..'");
    }

    /// <summary>Drops repeated and trailing slashes and "." components.</summary>
    private static string Normalise(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
        return "/" + string.Join('/', parts);
    }
}
