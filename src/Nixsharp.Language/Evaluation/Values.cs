// The value representation: one sealed class per Nix type, thunks for laziness.
// Containers hold values that may still be thunks; Eval always returns forced values.
namespace Nixsharp.Language.Evaluation;

using System.Runtime.CompilerServices;
using Nixsharp.Language.Syntax;

public abstract class Value
{
    /// <summary>PERF: Thunk is sealed, so this is a single method-table comparison.</summary>
    public bool IsThunk
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => this is Thunk;
    }

    /// <summary>Nix's name for the type, as used in type errors ("a set", "an integer").</summary>
    public abstract string TypeDescription { get; }
    /// <summary>builtins.typeOf's answer.</summary>
    public abstract string TypeName { get; }
}

public sealed class IntValue : Value
{
    public readonly long V;
    private IntValue(long v) { V = v; }
    // PERF: small integers are shared; loops and list indices allocate nothing.
    private static readonly IntValue[] Small = CreateSmall();
    private static IntValue[] CreateSmall()
    {
        var a = new IntValue[1280];
        for (int i = 0; i < a.Length; i++) a[i] = new IntValue(i - 256);
        return a;
    }
    public static IntValue Of(long v) => (ulong)(v + 256) < 1280 ? Small[v + 256] : new IntValue(v);
    public override string TypeDescription => "an integer";
    public override string TypeName => "int";
}

public sealed class FloatValue : Value
{
    public readonly double V;
    public FloatValue(double v) { V = v; }
    public override string TypeDescription => "a float";
    public override string TypeName => "float";
}

public sealed class BoolValue : Value
{
    public readonly bool V;
    private BoolValue(bool v) { V = v; }
    public static readonly BoolValue True = new(true), False = new(false);
    public static BoolValue Of(bool b) => b ? True : False;
    public override string TypeDescription => "a Boolean";
    public override string TypeName => "bool";
}

public sealed class NullValue : Value
{
    public static readonly NullValue Instance = new();
    private NullValue() { }
    public override string TypeDescription => "null";
    public override string TypeName => "null";
}

/// <summary>A string: bytes (one per char) plus the store paths it depends on.</summary>
public sealed class StringValue : Value
{
    public readonly string S;
    public readonly StringContext? Context;
    public StringValue(string s, StringContext? context = null)
    {
        S = s;
        Context = context is { IsEmpty: true } ? null : context;
    }
    public static readonly StringValue Empty = new("");
    public static StringValue Of(string s) => s.Length == 0 ? Empty : new StringValue(s);
    public bool HasContext => Context is not null;
    public override string TypeDescription => "a string";
    public override string TypeName => "string";
}

public sealed class PathValue : Value
{
    /// <summary>Canonical absolute path as a byte string.</summary>
    public readonly string P;
    public PathValue(string p) { P = p; }
    public override string TypeDescription => "a path";
    public override string TypeName => "path";
}

public sealed class ListValue : Value
{
    public readonly Value[] Items;
    public ListValue(Value[] items) { Items = items; }
    public static readonly ListValue Empty = new(Array.Empty<Value>());
    public static ListValue Of(Value[] items) => items.Length == 0 ? Empty : new ListValue(items);
    public int Count => Items.Length;
    public override string TypeDescription => "a list";
    public override string TypeName => "list";
}

/// <summary>A closure: a lambda expression and the environment it was created in.</summary>
public sealed class LambdaValue : Value
{
    public readonly LambdaExpr Fn;
    public readonly Env Env;
    public LambdaValue(LambdaExpr fn, Env env) { Fn = fn; Env = env; }
    public override string TypeDescription => "a function";
    public override string TypeName => "lambda";
}

public delegate Value PrimOpFn(EvalState state, Value[] args, Pos pos);
public delegate Value PrimOpFn2(EvalState state, Value a, Value b, Pos pos);

public sealed class PrimOpValue : Value
{
    public readonly string Name;
    public readonly int Arity;
    public readonly PrimOpFn Fn;
    /// <summary>PERF: binary builtins (arithmetic, comparison) called without an argument array.</summary>
    public readonly PrimOpFn2? Fn2;
    public PrimOpValue(string name, int arity, PrimOpFn fn) { Name = name; Arity = arity; Fn = fn; }
    public PrimOpValue(string name, PrimOpFn2 fn2)
    {
        Name = name;
        Arity = 2;
        Fn2 = fn2;
        Fn = (st, a, pos) => fn2(st, a[0], a[1], pos);
    }
    public override string TypeDescription => "a built-in function";
    public override string TypeName => "lambda";
}

/// <summary>A builtin applied to fewer arguments than it takes.</summary>
public sealed class PrimOpAppValue : Value
{
    public readonly PrimOpValue Op;
    public readonly Value[] Args;
    public PrimOpAppValue(PrimOpValue op, Value[] args) { Op = op; Args = args; }
    public override string TypeDescription => "a partially applied built-in function";
    public override string TypeName => "lambda";
}

/// <summary>A delayed computation. Forcing replaces it by its result; re-entry is infinite recursion.</summary>
/// <remarks>PERF: one sealed class for every kind of delayed work (an expression in an
/// environment, a function application, a builtin's callback), so that "is this a thunk?" is a
/// single type comparison and a thunk is one small object.</remarks>
public sealed class Thunk : Value
{
    private enum Kind : byte { Expr, App, Lazy, Pending }

    private Value? _result;
    private object? _a, _b;
    private Kind _kind;
    private bool _running;

    private Thunk(Kind kind, object? a, object? b) { _kind = kind; _a = a; _b = b; }

    /// <summary>An expression not yet evaluated in its environment.</summary>
    public static Thunk OfExpr(Expr expr, Env env) => new(Kind.Expr, expr, env);
    /// <summary>A function application not yet performed (map, genList, mapAttrs build these).</summary>
    public static Thunk OfApp(Value fn, Value arg) => new(Kind.App, fn, arg);
    /// <summary>A builtin's lazily computed part.</summary>
    public static Thunk OfLazy(Func<EvalState, Value> fn) => new(Kind.Lazy, fn, null);
    /// <summary>A value that will be supplied later with <see cref="Resolve"/> (for self-reference).</summary>
    public static Thunk Pending() => new(Kind.Pending, null, null);

    public void Resolve(Value v) => _result = v;

    public override string TypeDescription => "a thunk";
    public override string TypeName => "thunk";
    public bool IsForced => _result is not null;
    public Value? Result => _result;

    /// <summary>Evaluates once; `pos` is where it is forced, which Nix reports for infinite recursion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Value Force(EvalState state, Pos pos) => _result ?? ForceSlow(state, pos);

    private Value ForceSlow(EvalState state, Pos pos)
    {
        if (_running || _kind == Kind.Pending) throw new EvalError("infinite recursion encountered", pos);
        _running = true;
        try
        {
            var r = _kind switch
            {
                Kind.Expr => Unsafe.As<Expr>(_a)!.Eval(state, Unsafe.As<Env>(_b)!),
                Kind.App => state.CallFunction(Unsafe.As<Value>(_a)!, Unsafe.As<Value>(_b)!, default),
                _ => Unsafe.As<Func<EvalState, Value>>(_a)!(state),
            };
            _result = r;
            _a = null;
            _b = null;
            return r;
        }
        finally
        {
            _running = false;
        }
    }
}

/// <summary>A runtime scope: slots for the variables a scope defines, and the scope around it.</summary>
/// <remarks>PERF: the first two slots live in the object itself, so the environment of a
/// one- or two-variable function call is a single allocation.</remarks>
public sealed class Env
{
    public readonly Env? Up;
    public Value? S0, S1;
    private readonly Value?[]? _more;

    public Env(Env? up, int size)
    {
        Up = up;
        if (size > 2) _more = new Value?[size - 2];
    }

    public Value? Get(int i) => i switch { 0 => S0, 1 => S1, _ => _more![i - 2] };

    public void Set(int i, Value v)
    {
        switch (i)
        {
            case 0: S0 = v; break;
            case 1: S1 = v; break;
            default: _more![i - 2] = v; break;
        }
    }
}
