// <nixsharp>: the library of builders and helpers written in Nix (the .nix files beside this one),
// compiled into the binary as resources so that `import <nixsharp> {}` works without -I. The files
// stay ordinary files so that Nix itself can evaluate them (`-I nixsharp=…/CorePackages/nixsharp`).
namespace Nixsharp.Language.CorePackages;

public static class NixsharpLibrary
{
    /// <summary>Where `<nixsharp>` points when the search path does not say otherwise.</summary>
    public const string Root = "/__corepkgs__/nixsharp";

    private static readonly string[] FileNames = { "default.nix", "lib.nix", "builders.nix" };
    private static readonly Lazy<Dictionary<string, string>> Files = new(Load);

    /// <summary>For a search-path lookup of `nixsharp` or `nixsharp/FILE`, the virtual path, if the
    /// library has it.</summary>
    public static string? Find(string lookup)
    {
        if (lookup == "nixsharp") return Root;
        if (!lookup.StartsWith("nixsharp/", StringComparison.Ordinal)) return null;
        var path = Root + lookup.Substring("nixsharp".Length);
        return Resolve(path) is not null ? path : null;
    }

    /// <summary>Whether a path lies in the library's virtual directory.</summary>
    public static bool Contains(string path) =>
        path == Root || path.StartsWith(Root + "/", StringComparison.Ordinal);

    /// <summary>The file a path in the library names (the directory means its default.nix), as
    /// (path, source text), or null when there is no such file.</summary>
    public static (string Path, string Source)? Resolve(string path)
    {
        if (!Contains(path)) return null;
        var name = path.Length == Root.Length ? "" : path.Substring(Root.Length + 1).TrimEnd('/');
        if (name.Length == 0) name = "default.nix";
        return Files.Value.TryGetValue(name, out var text) ? (Root + "/" + name, text) : null;
    }

    private static Dictionary<string, string> Load()
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var assembly = typeof(NixsharpLibrary).Assembly;
        foreach (var name in FileNames)
        {
            using var stream = assembly.GetManifestResourceStream("nixsharp/" + name)
                ?? throw new InvalidOperationException($"the built-in library file {name} is missing from the binary");
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            files[name] = reader.ReadToEnd();
        }
        return files;
    }
}
