// The syntax of Nix's configuration files (nix.conf), as Nix 2.8 reads it: one setting per line as
// `NAME = VALUE...` with whitespace around '=', '#' starting a comment anywhere, blank lines
// ignored, the value's words joined by single spaces, and `include FILE` / `!include FILE` reading
// another file (relative to the including one; the '!' form skips a missing file). What the names
// mean is not this file's business.
namespace Nixsharp.Formats.Config;

/// <summary>One `NAME = VALUE` line, with where it came from for error messages.</summary>
public readonly record struct ConfigEntry(string Name, string Value, string Origin, int Line)
{
    /// <summary>"FILE:LINE", or the origin alone when it is not a file (NIX_CONFIG, the command line).</summary>
    public string Where => Line > 0 ? $"{Origin}:{Line}" : Origin;
}

/// <summary>A configuration file that cannot be read as one.</summary>
public sealed class ConfigFileException : FormatException
{
    public ConfigFileException(string message) : base(message) { }
}

public static class NixConfFile
{
    /// <summary>How deep includes may nest; deeper is almost surely a file including itself.</summary>
    public const int MaxIncludeDepth = 32;

    /// <summary>Reads `text` (from `origin`, a path or a name such as NIX_CONFIG) into `into`, in
    /// order; relative includes are found from `baseDirectory`. `readFile` gives an included file's
    /// text, or null when it does not exist.</summary>
    public static void Parse(string text, string origin, string baseDirectory, Func<string, string?> readFile, List<ConfigEntry> into) =>
        Parse(text, origin, baseDirectory, readFile, into, 0);

    private static void Parse(string text, string origin, string baseDirectory, Func<string, string?> readFile, List<ConfigEntry> into, int depth)
    {
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var hash = raw.IndexOf('#');
            var line = hash < 0 ? raw : raw[..hash];
            var words = line.Split(WordSeparators, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            if (words[0] is "include" or "!include")
            {
                if (words.Length != 2) throw Illegal(line, origin, lineNo);
                var path = Path.GetFullPath(words[1], baseDirectory);
                if (depth >= MaxIncludeDepth)
                    throw new ConfigFileException($"'{origin}' line {lineNo}: includes nest more than {MaxIncludeDepth} deep (does '{path}' include itself?)");
                var included = readFile(path);
                if (included is null)
                {
                    if (words[0] == "!include") continue;
                    throw new ConfigFileException($"file '{path}' included from '{origin}' (line {lineNo}) not found");
                }
                Parse(included, path, Path.GetDirectoryName(path) ?? "/", readFile, into, depth + 1);
                continue;
            }
            if (words.Length < 2 || words[1] != "=") throw Illegal(line, origin, lineNo);
            into.Add(new ConfigEntry(words[0], string.Join(' ', words, 2, words.Length - 2), origin, lineNo));
        }
    }

    // Nix splits on these; a CR from a file written on Windows is whitespace too.
    private static readonly char[] WordSeparators = [' ', '\t', '\r', '\n'];

    private static ConfigFileException Illegal(string line, string origin, int lineNo) =>
        new($"illegal configuration line '{line.Trim()}' in '{origin}' (line {lineNo}; expected 'NAME = VALUE', 'include FILE' or '!include FILE')");
}
