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
    private NameOrder? _order;
    /// <summary>Where the set literal that made this set stands; unset for computed sets.</summary>
    public Pos DefinitionPos { get; init; }

    public static readonly AttrsValue Empty = new(Array.Empty<Symbol>(), Array.Empty<Value>(), null);

    /// <summary>Arrays must already be sorted by symbol id, without duplicates. Sets that share
    /// a name array may share its <paramref name="order"/> too.</summary>
    public AttrsValue(Symbol[] names, Value[] values, Pos[]? positions, NameOrder? order = null)
    {
        Names = names;
        Values = values;
        Positions = positions;
        _order = order;
    }

    /// <summary>The lexicographic order of <see cref="Names"/>, for a set that shares that array.</summary>
    public NameOrder Order => _order ??= new NameOrder();

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
    public int[] LexicographicOrder() => Order.Of(Names);

    /// <summary>Names in lexicographic order.</summary>
    public IEnumerable<Symbol> SortedNames()
    {
        foreach (var i in LexicographicOrder()) yield return Names[i];
    }
}

/// <summary>The lexicographic order of one name array, sorted on first need.</summary>
/// <remarks>PERF: shared by all the sets that share the name array (the sets one literal makes,
/// `//` and mapAttrs results with the same names), so it is sorted once for all of them.</remarks>
public sealed class NameOrder
{
    private int[]? _order;

    public int[] Of(Symbol[] names)
    {
        if (_order is not null) return _order;
        var order = new int[names.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => string.CompareOrdinal(names[a].Name, names[b].Name));
        _order = order;
        return order;
    }
}

/// <summary>Shares one name array (and its <see cref="NameOrder"/>) between the sets a builtin
/// makes with the same names, such as fromJSON's arrays of like objects.</summary>
/// <remarks>PERF: the sets then take the memory for their names once, and their lexicographic
/// order (toJSON, attrNames, printing) is sorted once.</remarks>
public sealed class NameArrayCache
{
    private readonly Dictionary<int, (Symbol[] Names, NameOrder Order)> _byHash = new();

    /// <summary>The shared copy of names[0..count) (sorted by id, no duplicates), made if new.</summary>
    public (Symbol[] Names, NameOrder Order) Share(ReadOnlySpan<Symbol> names)
    {
        var hash = new HashCode();
        foreach (var n in names) hash.Add(n.Id);
        int h = hash.ToHashCode();
        if (_byHash.TryGetValue(h, out var known) && SameNames(names, known.Names)) return known;
        var entry = (names.ToArray(), new NameOrder());
        _byHash[h] = entry; // on a hash collision the newer shape wins
        return entry;
    }

    private static bool SameNames(ReadOnlySpan<Symbol> a, Symbol[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
            if (!ReferenceEquals(a[i], b[i])) return false;
        return true;
    }
}

/// <summary>Builds an attribute set from entries in any order; of duplicate names the first added
/// wins (listToAttrs), or the last with <see cref="Build(Pos, bool)"/>'s lastWins (fromJSON).</summary>
public sealed class AttrsBuilder
{
    // PERF: parallel arrays, sorted once by (symbol id, insertion order) straight into the result.
    private Symbol[] _names;
    private Value[] _values;
    private Pos[]? _poss;
    private int _count;
    private HashSet<Symbol>? _nameSet;

    public AttrsBuilder(int capacity = 8)
    {
        capacity = Math.Max(capacity, 1);
        _names = new Symbol[capacity];
        _values = new Value[capacity];
    }

    public int Count => _count;

    public bool Contains(Symbol name)
    {
        if (_nameSet is null)
        {
            _nameSet = new HashSet<Symbol>();
            for (int i = 0; i < _count; i++) _nameSet.Add(_names[i]);
        }
        return _nameSet.Contains(name);
    }

    public AttrsBuilder Add(Symbol name, Value value, Pos pos = default)
    {
        if (_count == _names.Length)
        {
            int cap = _names.Length * 2;
            Array.Resize(ref _names, cap);
            Array.Resize(ref _values, cap);
            if (_poss is not null) Array.Resize(ref _poss, cap);
        }
        if (pos.IsSet && _poss is null) _poss = new Pos[_names.Length];
        _names[_count] = name;
        _values[_count] = value;
        if (_poss is not null) _poss[_count] = pos;
        _count++;
        _nameSet?.Add(name);
        return this;
    }

    public AttrsValue Build(Pos definitionPos = default) => Build(definitionPos, lastWins: false);

    public AttrsValue Build(Pos definitionPos, bool lastWins)
    {
        int n = _count;
        if (n == 0 && !definitionPos.IsSet) return AttrsValue.Empty;
        var keys = new long[n];
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = ((long)_names[i].Id << 32) | (uint)i;
            order[i] = i;
        }
        Array.Sort(keys, order);
        var names = new Symbol[n];
        var values = new Value[n];
        var poss = _poss is null ? null : new Pos[n];
        int k = 0;
        for (int j = 0; j < n; j++)
        {
            int i = order[j];
            if (k > 0 && ReferenceEquals(names[k - 1], _names[i]))
            {
                if (!lastWins) continue;
                k--; // the later duplicate replaces the earlier one
            }
            names[k] = _names[i];
            values[k] = _values[i];
            if (poss is not null) poss[k] = _poss![i];
            k++;
        }
        if (k < n)
        {
            Array.Resize(ref names, k);
            Array.Resize(ref values, k);
            if (poss is not null) Array.Resize(ref poss, k);
        }
        return new AttrsValue(names, values, poss) { DefinitionPos = definitionPos };
    }
}
