// The one visible table of builtins: each family registers its functions here, in one place,
// so the base environment is built from an explicit list rather than static registration.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;

public sealed class BuiltinRegistry
{
    private readonly List<(string Name, Value Value)> _entries = new();
    public EvalState State { get; }
    public BuiltinRegistry(EvalState state) { State = state; }

    public void Add(string name, int arity, PrimOpFn fn)
    {
        var shortName = name.StartsWith("__", StringComparison.Ordinal) ? name.Substring(2) : name;
        _entries.Add((name, new PrimOpValue(shortName, arity, fn)));
    }

    public void Add(string name, PrimOpFn2 fn)
    {
        var shortName = name.StartsWith("__", StringComparison.Ordinal) ? name.Substring(2) : name;
        _entries.Add((name, new PrimOpValue(shortName, fn)));
    }

    /// <summary>A binary builtin that forces its first and then its second argument before
    /// anything else (see <see cref="PrimOpValue.StrictInOrder"/>).</summary>
    public void AddStrict(string name, PrimOpFn2 fn)
    {
        var shortName = name.StartsWith("__", StringComparison.Ordinal) ? name.Substring(2) : name;
        _entries.Add((name, new PrimOpValue(shortName, fn, strictInOrder: true)));
    }

    public void Constant(string name, Value value) => _entries.Add((name, value));

    public IReadOnlyList<(string Name, Value Value)> Entries => _entries;
}

public static class BuiltinTable
{
    public static IReadOnlyList<(string Name, Value Value)> Create(EvalState state)
    {
        var r = new BuiltinRegistry(state);
        ConstantBuiltins.Register(r);
        CoreBuiltins.Register(r);
        AttrBuiltins.Register(r);
        ListBuiltins.Register(r);
        StringBuiltins.Register(r);
        MathBuiltins.Register(r);
        FileBuiltins.Register(r);
        SerializationBuiltins.Register(r);
        HashBuiltins.Register(r);
        ContextBuiltins.Register(r);
        StoreBuiltins.Register(r);
        return r.Entries;
    }
}

/// <summary>Small helpers shared by the builtin families.</summary>
internal static class B
{
    public static Value Str(string s) => StringValue.Of(s);
    public static Value Bool(bool b) => BoolValue.Of(b);
    public static Value Int(long i) => IntValue.Of(i);
    public static ListValue List(List<Value> l) => ListValue.Of(l.ToArray());
}
