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
    /// <summary>PERF: the builtin forces its first argument, then its second, before anything
    /// else (arithmetic, comparison, seq), so a call may evaluate both on the spot instead of
    /// allocating thunks for them.</summary>
    public readonly bool StrictInOrder;
    public PrimOpValue(string name, int arity, PrimOpFn fn) { Name = name; Arity = arity; Fn = fn; }
    public PrimOpValue(string name, PrimOpFn2 fn2, bool strictInOrder = false)
    {
        Name = name;
        Arity = 2;
        Fn2 = fn2;
        StrictInOrder = strictInOrder;
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
/// single type comparison. Its whole state lives in two fields, which makes a thunk 32 bytes:
/// <list type="bullet">
/// <item>expression: _a = the Expr, _b = its Env</item>
/// <item>application: _a = the function, _b = the argument (a Value)</item>
/// <item>builtin callback: _a = the Func, _b = <see cref="LazyTag"/></item>
/// <item>pending: _b = <see cref="PendingTag"/></item>
/// <item>running: _b = <see cref="RunningTag"/> (the evaluating frame keeps the old _b)</item>
/// <item>forced: _a = the result, _b = null</item>
/// </list></remarks>
public sealed class Thunk : Value
{
    private sealed class Tag { }
    private static readonly Tag LazyTag = new(), PendingTag = new(), RunningTag = new();

    private object? _a;
    private object? _b;

    private Thunk(object? a, object b) { _a = a; _b = b; }

    /// <summary>An expression not yet evaluated in its environment.</summary>
    public static Thunk OfExpr(Expr expr, Env env) => new(expr, env);
    /// <summary>A function application not yet performed (map, genList, mapAttrs build these).</summary>
    public static Thunk OfApp(Value fn, Value arg) => new(fn, arg);
    /// <summary>A builtin's lazily computed part.</summary>
    public static Thunk OfLazy(Func<EvalState, Value> fn) => new(fn, LazyTag);
    /// <summary>A value that will be supplied later with <see cref="Resolve"/> (for self-reference).</summary>
    public static Thunk Pending() => new(null, PendingTag);

    public void Resolve(Value v)
    {
        _a = v;
        _b = null;
    }

    public override string TypeDescription => "a thunk";
    public override string TypeName => "thunk";
    public bool IsForced => _b is null;
    public Value? Result => _b is null ? Unsafe.As<Value>(_a) : null;

    /// <summary>Evaluates once; `pos` is where it is forced, which Nix reports for infinite recursion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Value Force(EvalState state, Pos pos) => _b is null ? Unsafe.As<Value>(_a)! : ForceSlow(state, pos);

    private Value ForceSlow(EvalState state, Pos pos)
    {
        var a = _a;
        var b = _b!;
        if (b is Tag && !ReferenceEquals(b, LazyTag)) throw new EvalError("infinite recursion encountered", pos);
        _b = RunningTag;
        Value r;
        try
        {
            if (Env.IsEnv(b)) r = Unsafe.As<Expr>(a)!.Eval(state, Unsafe.As<Env>(b));
            else if (b is Tag) r = Unsafe.As<Func<EvalState, Value>>(a)!(state);
            else r = state.CallFunction(Unsafe.As<Value>(a)!, Unsafe.As<Value>(b), default);
        }
        catch
        {
            // Nix puts the thunk back as it was, so forcing it again evaluates it again.
            _b = b;
            throw;
        }
        _a = r;
        _b = null;
        return r;
    }
}

/// <summary>A runtime scope: slots for the variables a scope defines, and the scope around it.</summary>
/// <remarks>PERF: sized to its scope. A one-variable scope (every `x: …` call, `with`) is this class
/// alone, 32 bytes; two variables make a <see cref="WideEnv"/>, more a <see cref="ManyEnv"/>. Slot
/// numbers come from binding, which sized the scope, so an access never checks the kind.</remarks>
public class Env
{
    public readonly Env? Up;
    public Value? S0;

    private protected Env(Env? up) { Up = up; }

    public static Env Create(Env? up, int size) => size switch
    {
        <= 1 => new Env(up),
        2 => new WideEnv(up),
        _ => new ManyEnv(up, size),
    };

    /// <summary>`o is Env` as three exact type comparisons (PERF: a test against a class with
    /// subclasses is otherwise a call that walks the type's bases).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsEnv(object o) =>
        o.GetType() == typeof(Env) || o.GetType() == typeof(WideEnv) || o.GetType() == typeof(ManyEnv);

    /// <summary>A scope of one variable with its value.</summary>
    public static Env One(Env? up, Value v) => new(up) { S0 = v };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Value? Get(int i) => i == 0 ? S0 : Unsafe.As<WideEnv>(this).GetWide(i);

    public void Set(int i, Value v)
    {
        if (i == 0) S0 = v;
        else Unsafe.As<WideEnv>(this).SetWide(i, v);
    }
}

/// <summary>A scope of two or more variables.</summary>
public class WideEnv : Env
{
    public Value? S1;

    internal WideEnv(Env? up) : base(up) { }

    internal Value? GetWide(int i) => i == 1 ? S1 : Unsafe.As<ManyEnv>(this).More[i - 2];

    internal void SetWide(int i, Value v)
    {
        if (i == 1) S1 = v;
        else Unsafe.As<ManyEnv>(this).More[i - 2] = v;
    }
}

/// <summary>A scope of three or more variables.</summary>
public sealed class ManyEnv : WideEnv
{
    internal readonly Value?[] More;

    internal ManyEnv(Env? up, int size) : base(up) { More = new Value?[size - 2]; }
}
