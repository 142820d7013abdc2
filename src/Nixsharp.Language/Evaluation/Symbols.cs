// Interned attribute and variable names. Attribute sets are sorted by symbol id so that lookups
// compare integers; lexicographic order (what Nix shows users) is derived only when needed.
namespace Nixsharp.Language.Evaluation;

using System.Runtime.CompilerServices;

public sealed class Symbol
{
    public string Name { get; }
    public int Id { get; }
    private StringValue? _asValue;
    internal Symbol(string name, int id) { Name = name; Id = id; }

    /// <summary>The name as a Nix string. PERF: made once, as attrNames and mapAttrs hand the
    /// same names out over and over (a string's identity is not observable).</summary>
    public StringValue AsValue => _asValue ??= StringValue.Of(Name);
    public override string ToString() => Name;
}

/// <summary>One table per evaluator; names are byte strings.</summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, Symbol> _byName = new(StringComparer.Ordinal);
    // PERF: the same string objects are interned again and again (names computed by `${…}` from
    // a list of names, the names mapAttrs and attrNames hand out), so a small cache keyed by the
    // string's identity skips hashing and comparing its characters.
    private readonly (string? Key, Symbol? Symbol)[] _recent = new (string?, Symbol?)[RecentSize];
    private const int RecentSize = 512;

    private readonly Dictionary<string, Symbol>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public SymbolTable() { _bySpan = _byName.GetAlternateLookup<ReadOnlySpan<char>>(); }

    public Symbol this[string name] => Intern(name);

    /// <summary>Interns a name given as characters, copying them only when the name is new.</summary>
    public Symbol Intern(ReadOnlySpan<char> name) =>
        _bySpan.TryGetValue(name, out var s) ? s : Intern(name.ToString());

    public Symbol Intern(string name)
    {
        ref var recent = ref _recent[RuntimeHelpers.GetHashCode(name) & (RecentSize - 1)];
        if (ReferenceEquals(recent.Key, name)) return recent.Symbol!;
        if (!_byName.TryGetValue(name, out var s))
        {
            s = new Symbol(name, _byName.Count);
            _byName.Add(name, s);
        }
        recent = (name, s);
        return s;
    }

    public Symbol? TryGet(string name) => _byName.TryGetValue(name, out var s) ? s : null;
}

/// <summary>Symbols the evaluator itself needs, interned once.</summary>
public sealed class WellKnownSymbols
{
    public readonly Symbol OutPath, Type, ToStringSym, Functor, Name, Value, File, Line, Column,
        Key, Operator, StartSet, Right, Wrong, Success, Prefix, Path, DrvPath, Ignore,
        StructuredAttrs, System, Builder;

    public WellKnownSymbols(SymbolTable t)
    {
        OutPath = t["outPath"]; Type = t["type"]; ToStringSym = t["__toString"]; Functor = t["__functor"];
        Name = t["name"]; Value = t["value"]; File = t["file"]; Line = t["line"]; Column = t["column"];
        Key = t["key"]; Operator = t["operator"]; StartSet = t["startSet"]; Right = t["right"];
        Wrong = t["wrong"]; Success = t["success"]; Prefix = t["prefix"]; Path = t["path"];
        DrvPath = t["drvPath"]; Ignore = t["__ignoreNulls"]; StructuredAttrs = t["__structuredAttrs"];
        System = t["system"]; Builder = t["builder"];
    }
}
