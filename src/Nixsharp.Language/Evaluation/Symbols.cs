// Interned attribute and variable names. Attribute sets are sorted by symbol id so that lookups
// compare integers; lexicographic order (what Nix shows users) is derived only when needed.
namespace Nixsharp.Language.Evaluation;

public sealed class Symbol
{
    public string Name { get; }
    public int Id { get; }
    internal Symbol(string name, int id) { Name = name; Id = id; }
    public override string ToString() => Name;
}

/// <summary>One table per evaluator; names are byte strings.</summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, Symbol> _byName = new(StringComparer.Ordinal);

    public Symbol this[string name] => Intern(name);

    public Symbol Intern(string name)
    {
        if (_byName.TryGetValue(name, out var s)) return s;
        s = new Symbol(name, _byName.Count);
        _byName.Add(name, s);
        return s;
    }

    public Symbol? TryGet(string name) => _byName.TryGetValue(name, out var s) ? s : null;
}

/// <summary>Symbols the evaluator itself needs, interned once.</summary>
public sealed class WellKnownSymbols
{
    public readonly Symbol OutPath, Type, ToStringSym, Functor, Name, Value, File, Line, Column,
        Body, Or, Key, Operator, StartSet, Right, Wrong, Success, Drv, Derivation, Prefix, Path,
        DrvPath, Outputs, OutputName, Ignore, Contents, StructuredAttrs, Outputs2, Regular,
        Directory, Symlink, Unknown, Meta, System, Builder, Args, Self;

    public WellKnownSymbols(SymbolTable t)
    {
        OutPath = t["outPath"]; Type = t["type"]; ToStringSym = t["__toString"]; Functor = t["__functor"];
        Name = t["name"]; Value = t["value"]; File = t["file"]; Line = t["line"]; Column = t["column"];
        Body = t["body"]; Or = t["or"]; Key = t["key"]; Operator = t["operator"]; StartSet = t["startSet"];
        Right = t["right"]; Wrong = t["wrong"]; Success = t["success"]; Drv = t["drv"];
        Derivation = t["derivation"]; Prefix = t["prefix"]; Path = t["path"]; DrvPath = t["drvPath"];
        Outputs = t["outputs"]; OutputName = t["outputName"]; Ignore = t["__ignoreNulls"];
        Contents = t["contents"]; StructuredAttrs = t["__structuredAttrs"]; Outputs2 = t["outputs"];
        Regular = t["regular"]; Directory = t["directory"]; Symlink = t["symlink"]; Unknown = t["unknown"];
        Meta = t["meta"]; System = t["system"]; Builder = t["builder"]; Args = t["args"]; Self = t["self"];
    }
}
