// Source files and positions. Nix strings are byte strings, so source text is held as a
// "byte string": a .NET string whose every char is one byte (0-255) of the original file.
namespace Nixsharp.Language.Syntax;

public enum SourceOrigin { File, String, Stdin }

/// <summary>A parsed unit of Nix text: a file, a -E string or standard input.</summary>
public sealed class SourceFile
{
    public SourceOrigin Origin { get; }
    /// <summary>Absolute path (byte string) for files; empty for strings and stdin.</summary>
    public string Path { get; }
    /// <summary>The text as a byte string.</summary>
    public string Text { get; }

    public SourceFile(SourceOrigin origin, string path, string text)
    {
        Origin = origin;
        Path = path;
        Text = text;
    }

    /// <summary>How Nix names this source in positions: the path, «string» or «stdin».</summary>
    public string DisplayName => Origin switch
    {
        SourceOrigin.File => Path,
        SourceOrigin.String => "\u00c2\u00abstring\u00c2\u00bb" /* «string» in UTF-8 */,
        _ => "\u00c2\u00abstdin\u00c2\u00bb" /* «stdin» in UTF-8 */,
    };
}

/// <summary>A 1-based line and column in a source; Line 0 means "no position".</summary>
/// <remarks>PERF: one reference wide (the details live in a shared object made once at parse
/// time), so the position arrays that every attribute set carries cost 8 bytes an entry.</remarks>
public readonly struct Pos : IEquatable<Pos>
{
    private sealed class Info
    {
        public readonly SourceFile? File;
        public readonly int Line, Column;
        public Info(SourceFile? file, int line, int column) { File = file; Line = line; Column = column; }
    }

    private readonly Info? _info;

    public Pos(SourceFile? file, int line, int column)
    {
        _info = file is null && line == 0 && column == 0 ? null : new Info(file, line, column);
    }

    public static readonly Pos None = default;
    public SourceFile? File => _info?.File;
    public int Line => _info?.Line ?? 0;
    public int Column => _info?.Column ?? 0;
    public bool IsSet => _info is { File: not null, Line: > 0 };

    public bool Equals(Pos other) =>
        ReferenceEquals(File, other.File) && Line == other.Line && Column == other.Column;
    public override bool Equals(object? obj) => obj is Pos p && Equals(p);
    public override int GetHashCode() => HashCode.Combine(File, Line, Column);
    public static bool operator ==(Pos a, Pos b) => a.Equals(b);
    public static bool operator !=(Pos a, Pos b) => !a.Equals(b);

    /// <summary>Formats as Nix 2.8 does inside messages: `file:line:col`, `(string):line:col`.</summary>
    public override string ToString()
    {
        if (File is null || Line == 0) return "undefined position";
        var name = File.Origin == SourceOrigin.File ? File.Path : "(string)";
        return $"{name}:{Line}:{Column}";
    }
}
