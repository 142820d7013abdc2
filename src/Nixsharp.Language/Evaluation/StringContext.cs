// The store paths a string refers to, carried through every string operation so that
// derivations know their inputs. Elements use Nix's encoding: "/nix/store/…" (a path),
// "=/nix/store/….drv" (a derivation and its whole closure), "!out!/nix/store/….drv" (an output).
namespace Nixsharp.Language.Evaluation;

public sealed class StringContext
{
    private readonly string[] _items; // sorted (ordinal), unique
    public static readonly StringContext EmptyContext = new(Array.Empty<string>());

    private StringContext(string[] sortedUnique) { _items = sortedUnique; }

    public bool IsEmpty => _items.Length == 0;
    public IReadOnlyList<string> Items => _items;

    public static StringContext From(IEnumerable<string> items)
    {
        var set = new SortedSet<string>(items, StringComparer.Ordinal);
        return FromSet(set);
    }

    /// <summary>The context of one element (a store path, a derivation's output, ...): the common
    /// case, made without a set to sort through.</summary>
    public static StringContext Of(string element) => new([element]);

    internal static StringContext FromSet(SortedSet<string> set)
    {
        if (set.Count == 0) return EmptyContext;
        var items = new string[set.Count];
        set.CopyTo(items);
        return new StringContext(items);
    }

    public static StringContext? Union(StringContext? a, StringContext? b)
    {
        if (a is null || a.IsEmpty) return b;
        if (b is null || b.IsEmpty || ReferenceEquals(a, b)) return a;
        return From(a._items.Concat(b._items));
    }
}

/// <summary>The three kinds of context element.</summary>
public enum ContextElementKind { Path, AllOutputs, Output }

/// <summary>One context element taken apart: its kind, the store path, and the output name (for
/// "!out!….drv" elements).</summary>
public readonly record struct ContextElement(ContextElementKind Kind, string Path, string Output)
{
    public static ContextElement Parse(string element)
    {
        if (element.StartsWith('=')) return new(ContextElementKind.AllOutputs, element.Substring(1), "");
        if (element.StartsWith('!'))
        {
            int i = element.IndexOf('!', 1);
            return new(ContextElementKind.Output, element.Substring(i + 1), element.Substring(1, i - 1));
        }
        return new(ContextElementKind.Path, element, "");
    }
}

/// <summary>Accumulates context while a string is being built.</summary>
public sealed class ContextBuilder
{
    private SortedSet<string>? _set;
    private StringContext? _single;
    private int _sources;

    public void Add(StringContext? c)
    {
        if (c is null || c.IsEmpty) return;
        if (_sources == 0) { _single = c; _sources = 1; return; }
        if (ReferenceEquals(c, _single) && _set is null) return;
        _set ??= new SortedSet<string>(_single!.Items, StringComparer.Ordinal);
        foreach (var i in c.Items) _set.Add(i);
        _sources++;
    }

    public void Add(string element)
    {
        if (_set is null)
        {
            _set = new SortedSet<string>(StringComparer.Ordinal);
            if (_single is not null) foreach (var i in _single.Items) _set.Add(i);
        }
        _set.Add(element);
        _sources++;
    }

    public StringContext? Build() => _set is not null ? StringContext.FromSet(_set) : _single;
}
