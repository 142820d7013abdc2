// Attribute sets: parallel arrays sorted by symbol id, binary-searched on lookup.
// The lexicographic order Nix shows is computed once per set on first need.
namespace Nixsharp.Language.Evaluation;

using Nixsharp.Language.Syntax;

public sealed class AttrsValue : Value
{
    public readonly Symbol[] Names;
    public readonly Value[] Values;
    /// <summary>Definition positions (for unsafeGetAttrPos and traces); null when unknown.</summary>
    public readonly Pos[]? Positions;
    private int[]? _lexOrder;
    /// <summary>Where the set literal that made this set stands; unset for computed sets.</summary>
    public Pos DefinitionPos { get; init; }

    public static readonly AttrsValue Empty = new(Array.Empty<Symbol>(), Array.Empty<Value>(), null);

    /// <summary>Arrays must already be sorted by symbol id, without duplicates.</summary>
    public AttrsValue(Symbol[] names, Value[] values, Pos[]? positions)
    {
        Names = names;
        Values = values;
        Positions = positions;
    }

    public int Count => Names.Length;
    public override string TypeDescription => "a set";
    public override string TypeName => "set";

    public int IndexOf(Symbol name)
    {
        var names = Names;
        int id = name.Id;
        // PERF: most sets are small; a linear scan beats binary search below ~8 entries.
        if (names.Length <= 8)
        {
            for (int i = 0; i < names.Length; i++)
                if (ReferenceEquals(names[i], name)) return i;
            return -1;
        }
        int lo = 0, hi = names.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = names[mid].Id;
            if (c == id) return mid;
            if (c < id) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    public Value? Get(Symbol name)
    {
        int i = IndexOf(name);
        return i < 0 ? null : Values[i];
    }

    public bool Has(Symbol name) => IndexOf(name) >= 0;

    public Pos PosOf(int index) => Positions is null ? default : Positions[index];

    /// <summary>Indices in the order of the names' bytes: how Nix lists attributes.</summary>
    public int[] LexicographicOrder()
    {
        if (_lexOrder is not null) return _lexOrder;
        var order = new int[Names.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var names = Names;
        Array.Sort(order, (a, b) => string.CompareOrdinal(names[a].Name, names[b].Name));
        _lexOrder = order;
        return order;
    }

    /// <summary>Names in lexicographic order.</summary>
    public IEnumerable<Symbol> SortedNames()
    {
        foreach (var i in LexicographicOrder()) yield return Names[i];
    }
}

/// <summary>Builds an attribute set from entries in any order; later duplicates are ignored.</summary>
public sealed class AttrsBuilder
{
    private readonly List<(Symbol Name, Value Value, Pos Pos)> _entries;
    private bool _hasPositions;

    public AttrsBuilder(int capacity = 8) { _entries = new(capacity); }

    public int Count => _entries.Count;
    private HashSet<Symbol>? _names;

    public bool Contains(Symbol name)
    {
        if (_names is null)
        {
            _names = new HashSet<Symbol>();
            foreach (var e in _entries) _names.Add(e.Name);
        }
        return _names.Contains(name);
    }

    public AttrsBuilder Add(Symbol name, Value value, Pos pos = default)
    {
        _entries.Add((name, value, pos));
        _names?.Add(name);
        if (pos.IsSet) _hasPositions = true;
        return this;
    }

    /// <summary>Sorted by symbol id; with duplicates the first added wins (listToAttrs semantics).</summary>
    public AttrsValue Build(Pos definitionPos = default)
    {
        int n = _entries.Count;
        if (n == 0 && !definitionPos.IsSet) return AttrsValue.Empty;
        var entries = _entries.ToArray();
        // A stable sort keeps the first of duplicate names first.
        var keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = ((long)entries[i].Name.Id << 32) | (uint)i;
        Array.Sort(keys, entries);
        var names = new List<Symbol>(n);
        var values = new List<Value>(n);
        var poss = _hasPositions ? new List<Pos>(n) : null;
        Symbol? prev = null;
        foreach (var e in entries)
        {
            if (ReferenceEquals(e.Name, prev)) continue;
            prev = e.Name;
            names.Add(e.Name);
            values.Add(e.Value);
            poss?.Add(e.Pos);
        }
        return new AttrsValue(names.ToArray(), values.ToArray(), poss?.ToArray()) { DefinitionPos = definitionPos };
    }
}
